// SPDX-License-Identifier: MIT
/*
 * The vendor-neutral half of DMA remapping (hv/iommu.h): counting and
 * logging the faults the vendor driver decodes, and quiescing a device.
 *
 * A device doing wild DMA may fault thousands of times a second, so the
 * log is rate-limited per source: the first FAULT_BURST faults of a source
 * in each FAULT_WINDOW_NS are logged, the rest only counted, and the next
 * logged line says how many were left out. Every fault is counted.
 */
#include <hv/console.h>
#include <hv/format.h>
#include <hv/iommu.h>
#include <hv/time.h>

#define FAULT_SOURCES		32
#define FAULT_BURST		5
#define FAULT_WINDOW_NS		1000000000ULL
#define NO_SOURCE		0xffffffffU	/* the shared slot once the table is full */

struct fault_source {
	pci_sbdf_t sbdf;
	uint64_t count;
	uint64_t window_start_ns;
	unsigned int logged_in_window;
	uint64_t suppressed;		/* not logged since the last logged line */
	struct iommu_fault last;
};

static struct fault_source sources[FAULT_SOURCES];
static unsigned int source_count;
static iommu_owner_lookup_t owner_lookup;
static iommu_fault_policy_t fault_policy;

void iommu_set_owner_lookup(iommu_owner_lookup_t lookup)
{
	owner_lookup = lookup;
}

void iommu_set_fault_policy(iommu_fault_policy_t policy)
{
	fault_policy = policy;
}

/* The source's slot; the last slot is shared by every source once the others are taken. */
static struct fault_source *source_of(pci_sbdf_t sbdf)
{
	for (unsigned int i = 0; i < source_count; i++)
		if (sources[i].sbdf == sbdf)
			return &sources[i];
	if (source_count < FAULT_SOURCES - 1) {
		sources[source_count] = (struct fault_source){ .sbdf = sbdf };
		return &sources[source_count++];
	}
	sources[FAULT_SOURCES - 1].sbdf = NO_SOURCE;
	return &sources[FAULT_SOURCES - 1];
}

/* Whether this fault of s may be logged at now_ns (false before calibration: log). */
static bool may_log(struct fault_source *s, bool have_time, uint64_t now_ns)
{
	if (have_time && now_ns - s->window_start_ns >= FAULT_WINDOW_NS) {
		s->window_start_ns = now_ns;
		s->logged_in_window = 0;
	}
	if (s->logged_in_window >= FAULT_BURST)
		return false;
	s->logged_in_window++;
	return true;
}

static void log_fault(struct fault_source *s, const struct iommu_fault *f);

void iommu_report_fault(const struct iommu_fault *f)
{
	struct fault_source *s = source_of(f->sbdf);
	uint64_t now_ns = 0;
	bool have_time = time_ns_since_boot(&now_ns);

	s->count++;
	s->last = *f;
	if (may_log(s, have_time, now_ns))
		log_fault(s, f);
	else
		s->suppressed++;
	/* After the line that explains it: containment logs its own. */
	if (fault_policy)
		fault_policy(f);
}

static void log_fault(struct fault_source *s, const struct iommu_fault *f)
{
	const char *owner = owner_lookup ? owner_lookup(f->sbdf) : NULL;
	char left_out[48] = "";
	if (s->suppressed)
		format(left_out, sizeof(left_out), " (%llu earlier fault(s) not logged)",
		       (unsigned long long)s->suppressed);
	s->suppressed = 0;
	pr_warn("iommu: DMA fault: %02x:%02x.%u %s%s%s %s at %#llx blocked: reason %#x \"%s\" (unit %u)%s",
		PCI_BUS(f->sbdf), PCI_DEV(f->sbdf), PCI_FN(f->sbdf),
		owner ? "(vm '" : "(owned by nobody", owner ? owner : "", owner ? "')" : ")",
		f->write ? "write" : "read", (unsigned long long)f->address, f->reason,
		f->reason_name, f->unit, left_out);
}

uint64_t iommu_fault_count(pci_sbdf_t sbdf, struct iommu_fault *last)
{
	for (unsigned int i = 0; i < source_count; i++) {
		if (sources[i].sbdf != sbdf)
			continue;
		if (last)
			*last = sources[i].last;
		return sources[i].count;
	}
	return 0;
}

int iommu_quiesce(pci_sbdf_t sbdf)
{
	uint16_t cmd = pci_cfg_read16(sbdf, PCI_COMMAND);

	/*
	 * Bus mastering off first: once the device is detached, any DMA still
	 * in flight would fault; stopped, it issues none.
	 */
	if (cmd != 0xffff && (cmd & PCI_COMMAND_MASTER))
		pci_cfg_write16(sbdf, PCI_COMMAND, cmd & ~PCI_COMMAND_MASTER);
	return iommu_detach(sbdf);
}
