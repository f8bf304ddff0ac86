// SPDX-License-Identifier: GPL-2.0
/*
 * kmsg_dump - print every record of the kernel log, from the oldest the
 * kernel still holds, as dmesg does ("[seconds.micros] text", /dev/kmsg's
 * \xHH escapes undone), without busybox dmesg's 16 MiB limit. The guest's
 * init (scripts/vm.sh) runs it after the job. Its first line says the
 * oldest record's sequence number ("@@hellodev-kmsg-first SEQ": above 0,
 * records were overwritten before boot's end); a record overwritten while
 * it reads is said in a line "@@hellodev-kmsg-lost".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "hellodev_lib.h"

int main(void)
{
	char buf[8192 + 1];
	struct kmsg_rec r;
	bool first = true;
	ssize_t n;
	int fd;

	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		perror("kmsg_dump: /dev/kmsg");
		return 1;
	}
	for (;;) {
		n = read(fd, buf, sizeof(buf) - 1);
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
		buf[n] = '\0';
		if (!kmsg_parse(buf, &r))
			continue;
		if (first) {
			printf("@@hellodev-kmsg-first %llu\n", r.seq);
			first = false;
		}
		printf("[%5llu.%06llu] %s\n", r.usec / 1000000, r.usec % 1000000,
		       r.text);
	}
	return 0;
}
