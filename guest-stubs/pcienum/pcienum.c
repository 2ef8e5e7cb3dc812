// SPDX-License-Identifier: MIT
/*
 * pcienum: what a VM sees of PCI. Enumerates all 256 buses through
 * configuration mechanism #1 (ports 0xCF8/0xCFC), the way a driver would,
 * and prints every function it finds:
 *
 *   TEST <vm>: found 00:02.0 8086:100e class 02.00.00 header 00
 *   TEST <vm>: 00:02.0 BAR0 mem32 0xfebc0000 size 0x20000
 *   TEST <vm>: 00:02.0 ROM BAR sizes to 0 (no ROM)
 *   TEST <vm>: 1 function(s) found
 *
 * The harness checks which functions and BARs appear; the guest checks
 * what it can on its own:
 *   config-address  CONFIG_ADDRESS reads back what was written (the
 *                   probe Linux's pci_check_type1 makes)
 *   enumerate       a guest finds no function; an IOVM at least one
 * and, for each function of an IOVM:
 *   bars            sizing the standard way (decode off, all ones, read,
 *                   restore) leaves every BAR as it was
 *   mmio            with memory decode on, the first memory BAR is
 *                   readable; for the e1000 (8086:100e) a write to RDBAL
 *                   (a plain register) reads back, and STATUS is read
 *   io              the first I/O BAR is reachable: IN and OUT there do not
 *                   stop the VM, as any port outside its I/O bitmap would
 *                   (QEMU's and Bochs' e1000 leave the IOADDR/IODATA window
 *                   unimplemented: it reads 0, so the values are only shown)
 *   relocate        a write of another address to the first memory BAR is
 *                   ignored: it reads back unchanged
 * and through the ECAM window, when the machine has one (boot info):
 *   ecam            bus 0 mapped with paging_map_identity; each function
 *                   reads the same through ECAM as through the ports (ids
 *                   at 8, 16 and 64 bits, header type, BAR0), a command
 *                   write through ECAM shows through the ports, a BAR0
 *                   relocation through ECAM is refused; functions that are
 *                   not this VM's (00:00.0, 00:1f.2, and for a guest the
 *                   IOVM's e1000 at 00:02.0) read all ones. Without MCFG
 *                   (Bochs) it is skipped with a line saying so.
 */
#include <arch/io.h>
#include <runtime/e1000.h>
#include <runtime/paging.h>
#include <runtime/pci.h>
#include <runtime/runtime.h>

/* Size one BAR register (and its upper half for a 64-bit BAR). Returns the registers it uses. */
static unsigned int size_bar(struct pci_fn f, unsigned int n, uint64_t *base, uint64_t *size, bool *io)
{
	uint32_t orig = pci_cfg_read32(f, (uint8_t)PCI_BAR(n)), sized, orig_hi = 0, sized_hi = 0xffffffff;
	bool is64 = !(orig & 1) && (orig & 6) == 4 && n < 5;
	uint64_t mask;

	pci_cfg_write32(f, (uint8_t)PCI_BAR(n), 0xffffffff);
	sized = pci_cfg_read32(f, (uint8_t)PCI_BAR(n));
	pci_cfg_write32(f, (uint8_t)PCI_BAR(n), orig);
	if (is64) {
		orig_hi = pci_cfg_read32(f, (uint8_t)PCI_BAR(n + 1));
		pci_cfg_write32(f, (uint8_t)PCI_BAR(n + 1), 0xffffffff);
		sized_hi = pci_cfg_read32(f, (uint8_t)PCI_BAR(n + 1));
		pci_cfg_write32(f, (uint8_t)PCI_BAR(n + 1), orig_hi);
	}
	*io = orig & 1;
	if (*io) {
		uint32_t m = sized & ~3U;

		if (m && !(m & 0xffff0000U))
			m |= 0xffff0000U;	/* a 16-bit I/O decoder reads 0 above */
		*base = orig & ~3U;
		*size = m ? (uint32_t)(~m + 1) : 0;
	} else {
		mask = (is64 ? (uint64_t)sized_hi << 32 : 0xffffffff00000000ULL) | (sized & ~0xfU);
		*base = (uint64_t)orig_hi << 32 | (orig & ~0xfU);
		*size = (uint32_t)mask || mask >> 32 != 0xffffffff ? ~mask + 1 : 0;
	}
	test_check(pci_cfg_read32(f, (uint8_t)PCI_BAR(n)) == orig,
		   "BAR%u reads %#x after sizing, was %#x", n, pci_cfg_read32(f, (uint8_t)PCI_BAR(n)), orig);
	return is64 ? 2 : 1;
}

static void check_mmio(struct pci_fn f, uint32_t id, uint64_t base)
{
	volatile uint32_t *regs = (volatile uint32_t *)(uintptr_t)base;
	uint16_t cmd = pci_cfg_read16(f, PCI_COMMAND);

	test_begin("mmio");
	pci_cfg_write16(f, PCI_COMMAND, (uint16_t)(cmd | PCI_COMMAND_MEMORY));
	test_check(pci_cfg_read16(f, PCI_COMMAND) & PCI_COMMAND_MEMORY, "memory decode did not stick (command %#x)",
		   pci_cfg_read16(f, PCI_COMMAND));
	if (!test_check(paging_map_identity(base) == 0, "cannot map %#llx", (unsigned long long)base))
		return;
	test_log("%02x:%02x.%u BAR at %#llx: dword 0 = %#x", f.bus, f.dev, f.fn, (unsigned long long)base,
		 regs[0]);
	if (id == ((uint32_t)E1000_DEVICE << 16 | E1000_VENDOR)) {
		uint32_t status = regs[E1000_STATUS / 4];

		test_log("%02x:%02x.%u e1000 STATUS = %#x", f.bus, f.dev, f.fn, status);
		regs[E1000_RDBAL / 4] = 0x12345670;
		uint32_t back = regs[E1000_RDBAL / 4];
		test_check(back == 0x12345670, "e1000 RDBAL reads back %#x after writing 0x12345670", back);
		regs[E1000_RDBAL / 4] = 0;
		test_log("%02x:%02x.%u e1000 RDBAL write/read back through the mapped BAR: %#x",
			 f.bus, f.dev, f.fn, back);
	}
	test_end();
}

static void check_io(struct pci_fn f, uint32_t id, uint64_t port)
{
	uint16_t cmd = pci_cfg_read16(f, PCI_COMMAND);

	test_begin("io");
	pci_cfg_write16(f, PCI_COMMAND, (uint16_t)(cmd | PCI_COMMAND_IO));
	if (id == ((uint32_t)E1000_DEVICE << 16 | E1000_VENDOR)) {
		outl((uint16_t)(port + E1000_IOADDR), E1000_STATUS);
		uint32_t addr = inl((uint16_t)(port + E1000_IOADDR));
		uint32_t data = inl((uint16_t)(port + E1000_IODATA));

		test_log("%02x:%02x.%u e1000 I/O window at port %#llx reached: IOADDR %#x, IODATA %#x",
			 f.bus, f.dev, f.fn, (unsigned long long)port, addr, data);
	} else {
		test_log("%02x:%02x.%u I/O BAR at port %#llx: first dword %#x", f.bus, f.dev, f.fn,
			 (unsigned long long)port, inl((uint16_t)port));
	}
	test_end();
}

static void check_relocation(struct pci_fn f, unsigned int n, uint64_t base, uint64_t size)
{
	uint32_t orig = pci_cfg_read32(f, (uint8_t)PCI_BAR(n));
	/* Another address the BAR could take: one size further up. */
	uint32_t moved = (uint32_t)((base + (size < 0x100000 ? 0x100000 : size)) & ~0xfULL) | (orig & 0xf);

	test_begin("relocate");
	pci_cfg_write32(f, (uint8_t)PCI_BAR(n), moved);
	uint32_t now = pci_cfg_read32(f, (uint8_t)PCI_BAR(n));
	test_log("%02x:%02x.%u BAR%u: wrote %#x, reads %#x", f.bus, f.dev, f.fn, n, moved, now);
	test_check(now == orig, "BAR%u moved: reads %#x after writing %#x, was %#x", n, now, moved, orig);
	test_end();
}

static void inspect(struct pci_fn f, uint32_t id)
{
	uint32_t class_rev = pci_cfg_read32(f, PCI_CLASS_REVISION);
	uint8_t header = pci_cfg_read8(f, PCI_HEADER_TYPE) & 0x7f;
	uint16_t cmd = pci_cfg_read16(f, PCI_COMMAND);
	uint64_t first_mem = 0, first_mem_size = 0, first_io = 0;
	unsigned int first_mem_bar = 0;

	test_log("found %02x:%02x.%u %04x:%04x class %02x.%02x.%02x header %02x", f.bus, f.dev, f.fn,
		 id & 0xffff, id >> 16, class_rev >> 24, (class_rev >> 16) & 0xff, (class_rev >> 8) & 0xff,
		 header);
	if (header != 0)
		return;

	test_begin("bars");
	/* Decoding off while a BAR holds all ones, as the specification asks. */
	pci_cfg_write16(f, PCI_COMMAND, (uint16_t)(cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY)));
	for (unsigned int n = 0; n < 6;) {
		uint64_t base, size;
		bool io;
		unsigned int used = size_bar(f, n, &base, &size, &io);

		if (size) {
			test_log("%02x:%02x.%u BAR%u %s %#llx size %#llx", f.bus, f.dev, f.fn, n,
				 io ? "io" : used == 2 ? "mem64" : "mem32", (unsigned long long)base,
				 (unsigned long long)size);
			if (!io && !first_mem) {
				first_mem = base;
				first_mem_size = size;
				first_mem_bar = n;
			}
			if (io && !first_io)
				first_io = base;
		}
		n += used;
	}
	uint32_t rom = pci_cfg_read32(f, PCI_ROM_ADDRESS);
	pci_cfg_write32(f, PCI_ROM_ADDRESS, 0xfffff800);
	uint32_t rom_sized = pci_cfg_read32(f, PCI_ROM_ADDRESS);
	pci_cfg_write32(f, PCI_ROM_ADDRESS, rom);
	test_log("%02x:%02x.%u ROM BAR sizes to %#x%s", f.bus, f.dev, f.fn, rom_sized,
		 rom_sized ? "" : " (no ROM)");
	pci_cfg_write16(f, PCI_COMMAND, cmd);
	test_end();

	if (first_mem)
		check_mmio(f, id, first_mem);
	if (first_io)
		check_io(f, id, first_io);
	if (first_mem)
		check_relocation(f, first_mem_bar, first_mem, first_mem_size);
}

/* ---- The same configuration space through ECAM: plain loads and stores, as a driver makes them. ---- */

static uint64_t ecam_base;

static volatile void *ecam(struct pci_fn f, uint16_t reg)
{
	return (volatile void *)(uintptr_t)(ecam_base + ((uint64_t)f.bus << 20) + ((uint64_t)f.dev << 15) +
					     ((uint64_t)f.fn << 12) + reg);
}

static uint32_t ecam_read32(struct pci_fn f, uint16_t reg) { return *(volatile uint32_t *)ecam(f, reg); }
static uint16_t ecam_read16(struct pci_fn f, uint16_t reg) { return *(volatile uint16_t *)ecam(f, reg); }
static uint8_t ecam_read8(struct pci_fn f, uint16_t reg) { return *(volatile uint8_t *)ecam(f, reg); }
static uint64_t ecam_read64(struct pci_fn f, uint16_t reg) { return *(volatile uint64_t *)ecam(f, reg); }
static void ecam_write32(struct pci_fn f, uint16_t reg, uint32_t v) { *(volatile uint32_t *)ecam(f, reg) = v; }
static void ecam_write16(struct pci_fn f, uint16_t reg, uint16_t v) { *(volatile uint16_t *)ecam(f, reg) = v; }

static void ecam_compare(struct pci_fn f)
{
	uint32_t id = pci_cfg_read32(f, PCI_VENDOR_ID), bar0 = pci_cfg_read32(f, (uint8_t)PCI_BAR(0));
	uint64_t first8 = (uint64_t)pci_cfg_read32(f, PCI_COMMAND) << 32 | id;
	uint32_t e_id = ecam_read32(f, PCI_VENDOR_ID), e_bar0 = ecam_read32(f, (uint16_t)PCI_BAR(0));
	uint16_t e_vendor = ecam_read16(f, PCI_VENDOR_ID), e_device = ecam_read16(f, PCI_DEVICE_ID);
	uint8_t e_header = ecam_read8(f, PCI_HEADER_TYPE);
	uint64_t e_first8 = ecam_read64(f, PCI_VENDOR_ID);

	test_log("%02x:%02x.%u through ECAM: %04x:%04x header %02x BAR0 %#x, extended space at 0x100: %#x",
		 f.bus, f.dev, f.fn, e_vendor, e_device, e_header, e_bar0, ecam_read32(f, 0x100));
	test_check(e_id == id && e_vendor == (id & 0xffff) && e_device == id >> 16,
		   "ids through ECAM %#x (%04x:%04x), through the ports %#x", e_id, e_vendor, e_device, id);
	test_check(e_header == pci_cfg_read8(f, PCI_HEADER_TYPE), "header type through ECAM %#x, ports %#x",
		   e_header, pci_cfg_read8(f, PCI_HEADER_TYPE));
	test_check(e_bar0 == bar0, "BAR0 through ECAM %#x, through the ports %#x", e_bar0, bar0);
	test_check((uint32_t)e_first8 == id && (uint16_t)(e_first8 >> 32) == (uint16_t)(first8 >> 32),
		   "8-byte ECAM read %#llx, ports %#llx", (unsigned long long)e_first8, (unsigned long long)first8);

	/* A command write through ECAM is the owner's write: the ports see it. */
	uint16_t cmd = pci_cfg_read16(f, PCI_COMMAND);
	ecam_write16(f, PCI_COMMAND, (uint16_t)(cmd ^ PCI_COMMAND_IO));
	uint16_t now = pci_cfg_read16(f, PCI_COMMAND);
	ecam_write16(f, PCI_COMMAND, cmd);
	test_check(now == (uint16_t)(cmd ^ PCI_COMMAND_IO), "command through the ports %#x after writing %#x through ECAM",
		   now, (unsigned int)(cmd ^ PCI_COMMAND_IO));
	test_check(pci_cfg_read16(f, PCI_COMMAND) == cmd, "command not restored through ECAM");

	/* A relocation through ECAM is refused like one through the ports. */
	if (bar0 && !(bar0 & 1)) {
		uint32_t moved = bar0 + 0x100000;

		ecam_write32(f, (uint16_t)PCI_BAR(0), moved);
		uint32_t e_now = ecam_read32(f, (uint16_t)PCI_BAR(0)), p_now = pci_cfg_read32(f, (uint8_t)PCI_BAR(0));
		test_log("%02x:%02x.%u BAR0 through ECAM: wrote %#x, reads %#x (ports %#x)", f.bus, f.dev, f.fn,
			 moved, e_now, p_now);
		test_check(e_now == bar0 && p_now == bar0, "BAR0 moved through ECAM: %#x/%#x, was %#x", e_now,
			   p_now, bar0);
	}
}

/* write: also try to turn on its decoding and bus mastering (the hypervisor names such a write). */
static void ecam_not_mine(struct pci_fn f, bool write)
{
	uint32_t id = ecam_read32(f, PCI_VENDOR_ID);

	if (write)
		ecam_write16(f, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	uint32_t after = ecam_read32(f, PCI_VENDOR_ID), ext = ecam_read32(f, 0x100);
	test_log("%02x:%02x.%u through ECAM (not this VM's): id %#x, after a command write %#x, extended %#x",
		 f.bus, f.dev, f.fn, id, after, ext);
	test_check(id == 0xffffffff && after == 0xffffffff && ext == 0xffffffff,
		   "%02x:%02x.%u answers through ECAM", f.bus, f.dev, f.fn);
}

#define MAX_FOUND	16
static struct found {
	struct pci_fn f;
	uint32_t id;
} funcs[MAX_FOUND];

/*
 * Turn on memory decode and bus mastering of a function this VM does not
 * own (00:1f.2, the q35 chipset's SATA controller; on other machines an
 * empty slot): the write must change nothing, and the function stays
 * invisible.
 */
static void foreign_write(void)
{
	const struct pci_fn sata = { 0, 0x1f, 2 };

	test_begin("foreign-function-write");
	test_log("writing command 0x6 (memory, bus master) to 00:1f.2, not this VM's");
	pci_cfg_write16(sata, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	uint32_t id = pci_cfg_read32(sata, PCI_VENDOR_ID);
	uint16_t cmd = pci_cfg_read16(sata, PCI_COMMAND);
	test_check(id == 0xffffffff && cmd == 0xffff,
		   "00:1f.2 answers after the write: id %#x, command %#x", id, cmd);
	test_end();
}

static void check_ecam(const struct uhv_boot_info *boot, const struct found *list, unsigned int n, bool iovm)
{
	test_begin("ecam");
	if (!boot->ecam_base) {
		test_log("no ECAM window (the machine has no MCFG): ECAM checks skipped");
		test_end();
		return;
	}
	ecam_base = boot->ecam_base;
	test_log("ECAM window at %#llx, buses %02x-%02x", (unsigned long long)ecam_base, boot->ecam_bus_start,
		 boot->ecam_bus_end);
	if (boot->ecam_bus_start != 0 ||
	    !test_check(paging_map_identity(ecam_base) == 0, "cannot map %#llx", (unsigned long long)ecam_base)) {
		test_end();
		return;
	}
	for (unsigned int i = 0; i < n && i < MAX_FOUND; i++)
		if (list[i].f.bus == 0)
			ecam_compare(list[i].f);
	ecam_not_mine((struct pci_fn){ 0, 0, 0 }, false);
	ecam_not_mine((struct pci_fn){ 0, 0x1f, 2 }, !iovm);
	if (!iovm)
		ecam_not_mine((struct pci_fn){ 0, 2, 0 }, true);
	test_end();
}

int guest_main(const struct uhv_boot_info *boot)
{
	bool iovm = boot->vm.role == UHV_ROLE_IOVM;
	unsigned int found = 0;

	test_begin("config-address");
	outl(PCI_CONFIG_ADDRESS, 0x80000000);
	uint32_t back = inl(PCI_CONFIG_ADDRESS);
	test_check(back == 0x80000000, "CONFIG_ADDRESS reads back %#x after writing 0x80000000", back);
	test_end();

	test_begin("enumerate");
	for (unsigned int bus = 0; bus < 256; bus++) {
		for (uint8_t dev = 0; dev < 32; dev++) {
			for (uint8_t fn = 0; fn < 8; fn++) {
				struct pci_fn f = { (uint8_t)bus, dev, fn };
				uint32_t id = pci_cfg_read32(f, PCI_VENDOR_ID);

				if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0) {
					if (fn == 0)
						break;
					continue;
				}
				if (found < MAX_FOUND)
					funcs[found] = (struct found){ f, id };
				found++;
				/* Functions 1-7 only behind a multi-function function 0. */
				if (fn == 0 && !(pci_cfg_read8(f, PCI_HEADER_TYPE) & 0x80))
					break;
			}
		}
	}
	test_log("%u function(s) found", found);
	if (iovm)
		test_check(found > 0, "an IOVM found no PCI function: its devices are missing");
	else
		test_check(found == 0, "a guest found %u PCI function(s): it owns none", found);
	test_end();

	check_ecam(boot, funcs, found, iovm);
	for (unsigned int i = 0; i < found && i < MAX_FOUND; i++)
		inspect(funcs[i].f, funcs[i].id);
	foreign_write();
	test_finish();
}
