// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the MMIO instruction decoder (hypervisor/mmio_decode.c).
 * The first byte picks the CPU mode, the rest are the guest's instruction
 * bytes, in an exactly-sized heap copy so ASan sees any read past the end.
 * Beyond "no crash", the decoder's contract: a decoded instruction fits in
 * the bytes given and in 15, accesses 1, 2, 4 or 8 bytes, names one of the
 * 16 registers, and decodes the same from its own bytes alone.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hv/mmio_decode.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum mmio_cpu_mode mode = data[0] & 1 ? MMIO_MODE_64 : MMIO_MODE_32;
	size_t n = size - 1;
	uint8_t *buf = malloc(n ? n : 1);
	struct mmio_insn d, again;

	if (!buf)
		return 0;
	memcpy(buf, data + 1, n);
	if (mmio_decode(buf, n, mode, &d) == 0) {
		if (d.len == 0 || d.len > n || d.len > MMIO_INSN_MAX_LEN || d.reg > MMIO_R15)
			abort();
		if (d.size != 1 && d.size != 2 && d.size != 4 && d.size != 8)
			abort();
		if (!d.write && d.reg_size < d.size)
			abort();
		if (mmio_decode(buf, d.len, mode, &again) || again.len != d.len || again.size != d.size ||
		    again.write != d.write || again.has_imm != d.has_imm || again.imm != d.imm ||
		    again.reg != d.reg || again.high_byte != d.high_byte || again.reg_size != d.reg_size)
			abort();
		(void)mmio_load_result(&d, 0x1122334455667788ULL, 0xffffffffffffffffULL);
		(void)mmio_store_value(&d, 0x1122334455667788ULL);
	}
	free(buf);
	return 0;
}
