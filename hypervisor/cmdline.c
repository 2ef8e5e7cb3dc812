// SPDX-License-Identifier: MIT
#include <hv/cmdline.h>
#include <hv/string.h>

static bool word_is(const char *w, size_t len, const char *name)
{
	return strlen(name) == len && !strncmp(w, name, len);
}

static int parse_exit(const char *v, size_t len, enum exit_method *out)
{
	static const struct { const char *name; enum exit_method method; } methods[] = {
		{ "qemu", EXIT_QEMU }, { "bochs", EXIT_BOCHS },
		{ "acpi", EXIT_ACPI }, { "halt", EXIT_HALT },
	};

	for (size_t i = 0; i < ARRAY_SIZE(methods); i++) {
		if (word_is(v, len, methods[i].name)) {
			*out = methods[i].method;
			return 0;
		}
	}
	return -1;
}

static int parse_level(const char *v, size_t len, enum log_level *out)
{
	char name[8];

	if (len >= sizeof(name))
		return -1;
	memcpy(name, v, len);
	name[len] = '\0';
	return console_parse_level(name, out);
}

int cmdline_parse(const char *cmdline, struct hv_options *opts,
		  void (*report)(const char *what, const char *word, size_t len))
{
	const char *p = cmdline;
	int bad = 0;

	*opts = (struct hv_options){ .loglevel = LOG_INFO, .exit_method = EXIT_HALT };

	while (*p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		const char *word = p;
		while (*p && *p != ' ')
			p++;
		size_t len = (size_t)(p - word);
		const char *eq = NULL;
		for (size_t i = 0; i < len && !eq; i++)
			if (word[i] == '=')
				eq = &word[i];
		size_t klen = eq ? (size_t)(eq - word) : len;
		const char *val = eq ? eq + 1 : NULL;
		size_t vlen = eq ? len - klen - 1 : 0;
		int err = 0;

		if (word_is(word, klen, "hwcheck") && !val) {
			opts->hwcheck = true;
		} else if (word_is(word, klen, "acpidump") && !val) {
			opts->acpidump = true;
		} else if (word_is(word, klen, "iommu") && val) {
			if (word_is(val, vlen, "noqi"))
				opts->iommu_noqi = true;
			else
				err = 1;
		} else if (word_is(word, klen, "loglevel") && val) {
			err = parse_level(val, vlen, &opts->loglevel);
		} else if (word_is(word, klen, "exit") && val) {
			err = parse_exit(val, vlen, &opts->exit_method);
		} else if (word_is(word, klen, "test") && val && vlen > 0 &&
			   vlen < sizeof(opts->test)) {
			memcpy(opts->test, val, vlen);
			opts->test[vlen] = '\0';
		} else {
			report("unknown option", word, len);
			bad++;
			continue;
		}
		if (err) {
			report("bad value in option", word, len);
			bad++;
		}
	}
	return bad;
}
