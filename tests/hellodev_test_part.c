// SPDX-License-Identifier: GPL-2.0
/*
 * One part of the hellodev conformance suite: hellodev_test.c itself, run
 * with the variants of one frontend only, so that scripts/check-debug.sh can
 * run the three parts in three guests at once (on its debug kernel every
 * unload waits seconds). Together the parts run every test once.
 *
 * usage: hellodev_test_part misc | cdev | debugfs | rust
 */
#define HELLODEV_TEST_PART
#include "hellodev_test.c"

/*
 * The parts, by variant name prefix. Tests of fixtures without variants,
 * and variants no part names, run in the first part, so none is left out.
 */
static const char *const parts[] = { "misc", "cdev", "debugfs", "rust" };

/* The part that variant @name belongs to. */
static size_t part_of(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(parts); i++)
		if (!strncmp(name, parts[i], strlen(parts[i])))
			return i;
	return 0;
}

/*
 * Unlink from the harness's lists the fixtures and variants of the other
 * parts. The harness walks the lists by their next pointers only.
 */
static void keep_part(size_t part)
{
	struct __fixture_variant_metadata *v, *v_next, **v_link;
	struct __fixture_metadata *f, *f_next, **f_link = &__fixture_list;

	for (f = __fixture_list; f; f = f_next) {
		f_next = f->next;
		if (f->variant) {
			v_link = &f->variant;
			for (v = f->variant; v; v = v_next) {
				v_next = v->next;
				if (part_of(v->name) == part) {
					*v_link = v;
					v_link = &v->next;
				}
			}
			*v_link = NULL;
			if (!f->variant)
				continue;
		} else if (part) {
			continue;
		}
		*f_link = f;
		f_link = &f->next;
	}
	*f_link = NULL;
}

int main(int argc, char **argv)
{
	size_t i;

	for (i = 0; argc == 2 && i < ARRAY_SIZE(parts); i++) {
		if (!strcmp(argv[1], parts[i])) {
			drop_rust_variants_without_module();
			keep_part(i);
			return test_harness_run(1, argv);
		}
	}
	fprintf(stderr, "usage: hellodev_test_part misc | cdev | debugfs | rust\n");
	return 2;
}
