// SPDX-License-Identifier: MIT
/* Pure logic of the guest-stub runtime: console line buffering and the
 * choice of hypercall instruction. */
#include <stdlib.h>
#include <string.h>

#include <abi/hypercall.h>
#include <runtime/hcdetect.h>
#include <runtime/linebuf.h>

#include "unit.h"

/* Every sink call, concatenated, and the length of each. */
static char out[8 * LINEBUF_SIZE];
static size_t out_len, calls, call_len[64];

static void sink(const char *s, size_t n)
{
	CHECK(n >= 1 && n <= LINEBUF_SIZE);
	CHECK(out_len + n <= sizeof(out));
	memcpy(out + out_len, s, n);
	out_len += n;
	if (calls < 64)
		call_len[calls] = n;
	calls++;
}

static struct linebuf *fresh(void)
{
	static struct linebuf lb;

	memset(&lb, 0, sizeof(lb));
	lb.sink = sink;
	memset(out, 0, sizeof(out));
	out_len = calls = 0;
	return &lb;
}

static void put(struct linebuf *lb, const char *s)
{
	linebuf_write(lb, s, strlen(s));
}

TEST(partial_line_waits_for_newline)
{
	struct linebuf *lb = fresh();

	put(lb, "hello");
	CHECK_EQ(calls, 0);
	put(lb, ", world\n");
	CHECK_EQ(calls, 1);
	CHECK_EQ(out_len, 13);
	CHECK(memcmp(out, "hello, world\n", 13) == 0);
	CHECK_EQ(lb->len, 0);
}

TEST(lines_of_one_write_go_out_together_and_the_rest_stays)
{
	struct linebuf *lb = fresh();

	put(lb, "one\ntwo\nthr");
	CHECK_EQ(calls, 1);
	CHECK_EQ(call_len[0], 8);
	CHECK(memcmp(out, "one\ntwo\n", 8) == 0);
	CHECK_EQ(lb->len, 3);
	put(lb, "ee\n");
	CHECK_EQ(calls, 2);
	CHECK(memcmp(out, "one\ntwo\nthree\n", 14) == 0);
}

TEST(flush_sends_an_unfinished_line_and_nothing_when_empty)
{
	struct linebuf *lb = fresh();

	linebuf_flush(lb);
	CHECK_EQ(calls, 0);
	put(lb, "prompt> ");
	linebuf_flush(lb);
	CHECK_EQ(calls, 1);
	CHECK_EQ(out_len, 8);
	linebuf_flush(lb);
	CHECK_EQ(calls, 1);
}

TEST(long_line_is_split_at_the_hypercall_limit)
{
	struct linebuf *lb = fresh();
	static char line[2 * LINEBUF_SIZE + 11];

	memset(line, 'x', sizeof(line));
	line[sizeof(line) - 1] = '\n';
	linebuf_write(lb, line, sizeof(line));
	CHECK_EQ(calls, 3);
	CHECK_EQ(call_len[0], LINEBUF_SIZE);
	CHECK_EQ(call_len[1], LINEBUF_SIZE);
	CHECK_EQ(call_len[2], 11);
	CHECK_EQ(out_len, sizeof(line));
	CHECK(memcmp(out, line, sizeof(line)) == 0);
	CHECK_EQ(lb->len, 0);
}

TEST(exactly_full_line_is_one_call)
{
	struct linebuf *lb = fresh();
	static char line[LINEBUF_SIZE];

	memset(line, 'y', sizeof(line));
	line[sizeof(line) - 1] = '\n';
	linebuf_write(lb, line, sizeof(line));
	CHECK_EQ(calls, 1);
	CHECK_EQ(call_len[0], LINEBUF_SIZE);
	CHECK_EQ(lb->len, 0);
}

TEST(full_buffer_with_finished_lines_keeps_order)
{
	struct linebuf *lb = fresh();
	static char text[3 * LINEBUF_SIZE];
	size_t n = 0;

	/* Lines of varying length written in odd-sized pieces. */
	for (int i = 0; n + 40 < sizeof(text); i++) {
		int len = 1 + (i * 37) % 30;
		memset(text + n, 'a' + i % 26, (size_t)len);
		n += (size_t)len;
		text[n++] = '\n';
	}
	for (size_t off = 0; off < n; off += 7)
		linebuf_write(lb, text + off, off + 7 <= n ? 7 : n - off);
	linebuf_flush(lb);
	CHECK_EQ(out_len, n);
	CHECK(memcmp(out, text, n) == 0);
}

static struct hc_probe uhv_probe(uint32_t version, uint32_t insn)
{
	return (struct hc_probe){
		.vendor = { 0xd, 0x756e6547, 0x6c65746e, 0x49656e69 },		/* GenuineIntel */
		.signature = { UHV_CPUID_FEATURES, UHV_SIGNATURE_EBX, UHV_SIGNATURE_ECX, UHV_SIGNATURE_EDX },
		.features = { version, insn, 0, 0 },
	};
}

TEST(cpuid_names_the_instruction)
{
	struct hc_probe p = uhv_probe(UHV_ABI_VERSION, UHV_HCALL_VMMCALL);
	struct hc_decision d = hc_decide(&p);

	CHECK_EQ(d.status, HC_ABI_OK);
	CHECK_EQ(d.instruction, UHV_HCALL_VMMCALL);	/* even on an Intel vendor string */
	p = uhv_probe(UHV_ABI_VERSION, UHV_HCALL_VMCALL);
	d = hc_decide(&p);
	CHECK_EQ(d.status, HC_ABI_OK);
	CHECK_EQ(d.instruction, UHV_HCALL_VMCALL);
}

TEST(the_signature_spells_uhv)
{
	char sig[13];
	uint32_t words[3] = { UHV_SIGNATURE_EBX, UHV_SIGNATURE_ECX, UHV_SIGNATURE_EDX };

	memcpy(sig, words, 12);
	sig[12] = '\0';
	CHECK_STR_EQ(sig, "uhvUHVuhvUHV");
}

TEST(missing_or_bad_abi_is_reported_with_a_vendor_guess)
{
	struct hc_probe p = uhv_probe(UHV_ABI_VERSION, UHV_HCALL_VMCALL);

	p.signature.ebx = 0x4b4d564b;	/* "KVMK" */
	struct hc_decision d = hc_decide(&p);
	CHECK_EQ(d.status, HC_ABI_NO_SIGNATURE);
	CHECK_EQ(d.instruction, UHV_HCALL_VMCALL);

	p.vendor = (struct hc_cpuid){ 0x10, 0x68747541, 0x444d4163, 0x69746e65 };	/* AuthenticAMD */
	d = hc_decide(&p);
	CHECK_EQ(d.instruction, UHV_HCALL_VMMCALL);

	p = uhv_probe(UHV_ABI_VERSION, UHV_HCALL_VMCALL);
	p.signature.eax = UHV_CPUID_SIGNATURE;
	CHECK_EQ(hc_decide(&p).status, HC_ABI_NO_FEATURES_LEAF);

	p = uhv_probe(UHV_ABI_VERSION + 1, UHV_HCALL_VMCALL);
	CHECK_EQ(hc_decide(&p).status, HC_ABI_BAD_VERSION);

	p = uhv_probe(UHV_ABI_VERSION, 2);
	d = hc_decide(&p);
	CHECK_EQ(d.status, HC_ABI_BAD_INSTRUCTION);
	CHECK(d.instruction == UHV_HCALL_VMCALL || d.instruction == UHV_HCALL_VMMCALL);
	CHECK(strlen(hc_abi_status_string(d.status)) > 0);
}
