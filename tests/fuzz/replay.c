// SPDX-License-Identifier: MIT
/*
 * A deterministic stand-in for libFuzzer, so every fuzz target also runs in
 * `make test` with GCC and AddressSanitizer: each seed file is fed as is,
 * then in MUTATIONS mutated forms (bit flips, byte overwrites with boundary
 * values, truncations, extensions, 32-bit length fields set to extremes).
 * The same seeds always give the same inputs. Prints "PASS <target>" or
 * crashes (ASan/UBSan report), which the test harness counts as a failure.
 *
 * usage: replay TARGET-NAME [-n MUTATIONS] SEED...
 *        replay            (the FUZZ_NAME and FUZZ_SEEDS it was built with)
 * A SEED may be a file or a directory of seed files (read in name order).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void mutate(uint8_t *buf, size_t *len, size_t cap)
{
	static const uint32_t extremes[] = { 0, 1, 7, 8, 0x7fffffff, 0x80000000, 0xfffffff8, 0xffffffff };
	int rounds = 1 + (int)(next_random() % 4);

	for (int r = 0; r < rounds && *len; r++) {
		size_t at = next_random() % *len;

		switch (next_random() % 6) {
		case 0:
			buf[at] ^= (uint8_t)(1u << (next_random() % 8));
			break;
		case 1:
			buf[at] = (uint8_t)(uint32_t[]){ 0, 1, 0x7f, 0x80, 0xff }[next_random() % 5];
			break;
		case 2:
			*len = at;	/* truncate */
			break;
		case 3:
			if (*len < cap) {
				buf[*len] = (uint8_t)next_random();
				(*len)++;
			}
			break;
		case 4:
			if (at + 4 <= *len) {
				uint32_t v = extremes[next_random() % 8];
				memcpy(buf + (at & ~(size_t)3), &v, 4);
			}
			break;
		default:
			buf[at] = (uint8_t)next_random();
			break;
		}
	}
}

/* Feed one seed file and its mutations; nonzero if it cannot be read. */
static int run_seed(const char *target, const char *path, long mutations, long *inputs)
{
	static uint8_t seed[1 << 20], buf[(1 << 20) + 64];
	FILE *f = fopen(path, "rb");

	if (!f) {
		printf("FAIL %s: cannot open seed %s\n", target, path);
		return 1;
	}
	size_t seed_len = fread(seed, 1, sizeof(seed), f);
	fclose(f);

	LLVMFuzzerTestOneInput(seed, seed_len);
	(*inputs)++;
	for (long m = 0; m < mutations; m++) {
		size_t len = seed_len;

		memcpy(buf, seed, seed_len);
		mutate(buf, &len, sizeof(buf));
		LLVMFuzzerTestOneInput(buf, len);
		(*inputs)++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long mutations = 2000;
	int first = 2;
	long inputs = 0;

#if defined(FUZZ_NAME) && defined(FUZZ_SEEDS)
	static char *builtin[] = { "replay", FUZZ_NAME, FUZZ_SEEDS };
	if (argc == 1) {
		argc = (int)(sizeof(builtin) / sizeof(builtin[0]));
		argv = builtin;
	}
#endif
	if (argc < 3) {
		fprintf(stderr, "usage: %s TARGET-NAME [-n MUTATIONS] SEED...\n", argv[0]);
		return 2;
	}
	if (!strcmp(argv[2], "-n") && argc > 4) {
		mutations = atol(argv[3]);
		first = 4;
	}
	for (int i = first; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st)) {
			printf("FAIL %s: cannot open seed %s\n", argv[1], argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_seed(argv[1], argv[i], mutations, &inputs))
				return 1;
			continue;
		}
		struct dirent **names;
		int n = scandir(argv[i], &names, NULL, alphasort);
		for (int k = 0; k < n; k++) {
			char path[4096];

			if (names[k]->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", argv[i], names[k]->d_name);
				if (run_seed(argv[1], path, mutations, &inputs))
					return 1;
			}
			free(names[k]);
		}
		free(names);
	}
	if (!inputs) {
		printf("FAIL %s: no seeds\n", argv[1]);
		return 1;
	}
	printf("fuzz %s: %ld inputs, no crash\n", argv[1], inputs);
	printf("PASS %s\n", argv[1]);
	return 0;
}
