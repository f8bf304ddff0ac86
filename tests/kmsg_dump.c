// SPDX-License-Identifier: GPL-2.0
/*
 * kmsg_dump - print every record of the kernel log, from the oldest the
 * kernel still holds, as dmesg does ("[seconds.micros] text"), without
 * busybox dmesg's 16 MiB limit. The guest's init (scripts/vm.sh) runs it
 * after the job. Its first line says the oldest record's sequence number
 * ("@@hellodev-kmsg-first SEQ": above 0, records were overwritten before
 * boot's end); a record overwritten while it reads is said in a line
 * "@@hellodev-kmsg-lost".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Undo /dev/kmsg's escaping of @text in place: it writes each unprintable
 * byte and each backslash as "\xHH", which dmesg prints as the byte itself.
 */
static void unescape(char *text)
{
	char *in = text, *out = text, hex[3] = "";

	while (*in) {
		if (in[0] == '\\' && in[1] == 'x' && in[2] && in[3]) {
			hex[0] = in[2];
			hex[1] = in[3];
			*out++ = (char)strtoul(hex, NULL, 16);
			in += 4;
		} else {
			*out++ = *in++;
		}
	}
	*out = '\0';
}

int main(void)
{
	char rec[8192 + 1];
	bool first = true;
	int fd;

	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		perror("kmsg_dump: /dev/kmsg");
		return 1;
	}
	for (;;) {
		unsigned long long seq, usec;
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		char *text, *end;

		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0 && errno == EPIPE) {
			printf("@@hellodev-kmsg-lost\n");
			continue;
		}
		if (n <= 0) {
			perror("kmsg_dump: read");
			return 1;
		}
		rec[n] = '\0';
		/* "prio,seq,usec,flags;text\n", then " KEY=value" lines. */
		text = strchr(rec, ';');
		if (!text || sscanf(rec, "%*u,%llu,%llu", &seq, &usec) != 2)
			continue;
		if (first) {
			printf("@@hellodev-kmsg-first %llu\n", seq);
			first = false;
		}
		text++;
		end = strchr(text, '\n');
		if (end)
			*end = '\0';
		unescape(text);
		printf("[%5llu.%06llu] %s\n", usec / 1000000, usec % 1000000,
		       text);
	}
	return 0;
}
