// SPDX-License-Identifier: MIT
/*
 * The virtio 1.x split virtqueue, driver and device ends (vring.h).
 *
 * Shared memory is touched only through SHARED_LOAD/SHARED_STORE (relaxed
 * atomics: one access each, never re-read or torn by the compiler) and the
 * acquire/release/seq_cst accesses named at each use. On x86-64 (TSO)
 * acquire and release cost nothing but stop the compiler reordering; the
 * seq_cst fences are the one place a store must not pass a later load
 * (GCC emits a locked instruction, as strong as mfence). The virtio rules they implement are in 2.6.13 "Supplying
 * Buffers to The Device" and 2.6.7/2.6.10 "Used Buffer / Available Buffer
 * Notification Suppression".
 */
#include "vring.h"

#include <stdarg.h>

#define SHARED_LOAD(lv)		__atomic_load_n(&(lv), __ATOMIC_RELAXED)
#define SHARED_STORE(lv, v)	__atomic_store_n(&(lv), (v), __ATOMIC_RELAXED)

/* Every byte of the largest queue fits well below this. */
#define VRING_LAYOUT_MAX	(2 * 1024 * 1024ULL)

/* ---- The broken state and its reason. ---- */

struct reason_buf {
	char *buf;
	size_t len, cap;
};

static void put_char(struct reason_buf *r, char c)
{
	if (r->len + 1 < r->cap)
		r->buf[r->len++] = c;
}

static void put_num(struct reason_buf *r, uint64_t v, unsigned base)
{
	char digits[20];
	int n = 0;

	if (base == 16) {
		put_char(r, '0');
		put_char(r, 'x');
	}
	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n)
		put_char(r, digits[--n]);
}

/*
 * Break the queue: every later call fails fast. The reason takes %u
 * (decimal) and %x (0x-prefixed hex), both consuming a uint64_t, and %s.
 * Returns -HV_EIO for the caller to pass on.
 */
static int vring_break(struct vring *vq, const char *fmt, ...)
{
	struct reason_buf r = { .buf = vq->reason, .cap = sizeof(vq->reason) };
	va_list ap;

	va_start(ap, fmt);
	for (const char *p = fmt; *p; p++) {
		if (*p != '%' || !p[1]) {
			put_char(&r, *p);
			continue;
		}
		switch (*++p) {
		case 'u':
			put_num(&r, va_arg(ap, uint64_t), 10);
			break;
		case 'x':
			put_num(&r, va_arg(ap, uint64_t), 16);
			break;
		case 's':
			for (const char *s = va_arg(ap, const char *); *s; s++)
				put_char(&r, *s);
			break;
		default:
			put_char(&r, *p);
			break;
		}
	}
	va_end(ap);
	r.buf[r.len] = '\0';
	vq->broken = true;
	return -HV_EIO;
}

#define U(x)	((uint64_t)(x))

const char *vring_broken(const struct vring *vq)
{
	return vq->broken ? vq->reason : NULL;
}

/* ---- Layout and configuration. ---- */

static bool qsize_valid(uint32_t qsize)
{
	return qsize >= 1 && qsize <= VIRTQ_MAX_SIZE && (qsize & (qsize - 1)) == 0;
}

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

int vring_layout(uint32_t qsize, uint64_t start, struct vring_layout *out)
{
	if (!qsize_valid(qsize))
		return -HV_EINVAL;
	if (start > UINT64_MAX - VRING_LAYOUT_MAX)
		return -HV_EOVERFLOW;
	out->desc_off = align_up(start, VIRTQ_DESC_ALIGN);
	out->avail_off = out->desc_off + VIRTQ_DESC_SIZE(qsize);	/* 16-aligned, so 2-aligned */
	out->used_off = align_up(out->avail_off + VIRTQ_AVAIL_SIZE(qsize), VRING_USED_LAYOUT_ALIGN);
	out->end_off = out->used_off + VIRTQ_USED_SIZE(qsize);
	return 0;
}

int vring_config_at(struct vring_config *cfg, const struct vring_region *region, uint32_t qsize,
		    uint64_t start, bool event_idx)
{
	struct vring_layout l;
	int err = vring_layout(qsize, start, &l);

	if (err)
		return err;
	if (l.end_off > region->size)
		return -HV_ERANGE;
	*cfg = (struct vring_config){
		.qsize = qsize,
		.region = *region,
		.desc = (char *)region->host + l.desc_off,
		.avail = (char *)region->host + l.avail_off,
		.used = (char *)region->host + l.used_off,
		.event_idx = event_idx,
	};
	return 0;
}

/* True if [gpa, gpa + len) lies inside the region (no overflow possible). */
static bool in_region(const struct vring_region *r, uint64_t gpa, uint64_t len)
{
	if (gpa < r->gpa)
		return false;
	uint64_t off = gpa - r->gpa;

	return off <= r->size && len <= r->size - off;
}

static void *region_ptr(const struct vring_region *r, uint64_t gpa)
{
	return (char *)r->host + (gpa - r->gpa);
}

/* The area [p, p + size) is inside the region and aligned (host and GPA). */
static bool area_valid(const struct vring_region *r, const void *p, uint64_t size, uint64_t align)
{
	uintptr_t host = (uintptr_t)r->host;

	if (!p || (uintptr_t)p < host)
		return false;
	uint64_t off = (uintptr_t)p - host;

	return off <= r->size && size <= r->size - off && (uintptr_t)p % align == 0 &&
	       (r->gpa + off) % align == 0;
}

static bool areas_overlap(const void *a, uint64_t alen, const void *b, uint64_t blen)
{
	uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;

	return x < y + blen && y < x + alen;
}

static int setup(struct vring *vq, const struct vring_config *cfg, enum vring_role role)
{
	const struct vring_region *r = &cfg->region;

	if (!vq || !cfg || !qsize_valid(cfg->qsize) || !r->host || !r->size ||
	    r->gpa + r->size - 1 < r->gpa || (uintptr_t)r->host + r->size - 1 < (uintptr_t)r->host)
		return -HV_EINVAL;
	uint64_t dsz = VIRTQ_DESC_SIZE(cfg->qsize), asz = VIRTQ_AVAIL_SIZE(cfg->qsize),
		 usz = VIRTQ_USED_SIZE(cfg->qsize);

	if (!area_valid(r, cfg->desc, dsz, VIRTQ_DESC_ALIGN) || !area_valid(r, cfg->avail, asz, VIRTQ_AVAIL_ALIGN) ||
	    !area_valid(r, cfg->used, usz, VIRTQ_USED_ALIGN) || areas_overlap(cfg->desc, dsz, cfg->avail, asz) ||
	    areas_overlap(cfg->desc, dsz, cfg->used, usz) || areas_overlap(cfg->avail, asz, cfg->used, usz))
		return -HV_EINVAL;

	*vq = (struct vring){
		.role = role,
		.qsize = cfg->qsize,
		.mask = (uint16_t)(cfg->qsize - 1),
		.event_idx = cfg->event_idx,
		.region = *r,
		.desc = cfg->desc,
		.avail = cfg->avail,
		.used = cfg->used,
	};
	vq->used_event = &vq->avail->ring[cfg->qsize];
	vq->avail_event = (volatile le16 *)&vq->used->ring[cfg->qsize];
	return 0;
}

int vring_restrict_buffers(struct vring *vq, uint64_t gpa, uint64_t size)
{
	if (!vq || !vq->role || !size || !in_region(&vq->region, gpa, size))
		return -HV_EINVAL;
	vq->region.host = region_ptr(&vq->region, gpa);
	vq->region.gpa = gpa;
	vq->region.size = size;
	return 0;
}

/* ---- Driver. ---- */

int vring_driver_init(struct vring *vq, const struct vring_config *cfg, struct vring_desc_state *state)
{
	int err;

	if (!state)
		return -HV_EINVAL;
	err = setup(vq, cfg, VRING_DRIVER);
	if (err)
		return err;
	vq->state = state;
	vq->num_free = vq->qsize;
	vq->free_head = 0;
	vq->irq_enabled = true;
	for (uint32_t i = 0; i < vq->qsize; i++) {
		state[i] = (struct vring_desc_state){ .next = (uint16_t)((i + 1) & vq->mask) };
		SHARED_STORE(vq->desc[i].addr, 0);
		SHARED_STORE(vq->desc[i].len, 0);
		SHARED_STORE(vq->desc[i].flags, 0);
		SHARED_STORE(vq->desc[i].next, 0);
	}
	/* Byte by byte: the areas need not be a multiple of any wider size. */
	volatile uint8_t *a = (volatile uint8_t *)vq->avail, *u = (volatile uint8_t *)vq->used;
	for (uint64_t i = 0; i < VIRTQ_AVAIL_SIZE(vq->qsize); i++)
		a[i] = 0;
	for (uint64_t i = 0; i < VIRTQ_USED_SIZE(vq->qsize); i++)
		u[i] = 0;
	/* The zeroed rings are published with the channel that carries them
	 * (a hypercall, itself a full barrier); nothing to order here. */
	return 0;
}

unsigned vring_num_free(const struct vring *vq)
{
	return vq->broken ? 0 : vq->num_free;
}

static bool segs_valid(const struct vring *vq, const struct vring_seg *s, unsigned n, uint64_t *total)
{
	if (n && !s)
		return false;
	for (unsigned k = 0; k < n; k++) {
		if (!s[k].len || !in_region(&vq->region, s[k].gpa, s[k].len))
			return false;
		*total += s[k].len;
	}
	return true;
}

int vring_add(struct vring *vq, const struct vring_seg *out, unsigned n_out, const struct vring_seg *in,
	      unsigned n_in)
{
	uint64_t out_len = 0, in_len = 0;

	if (vq->role != VRING_DRIVER)
		return -HV_EINVAL;
	if (vq->broken)
		return -HV_EIO;
	if (n_out > vq->qsize || n_in > vq->qsize || n_out + n_in == 0 || n_out + n_in > vq->qsize ||
	    !segs_valid(vq, out, n_out, &out_len) || !segs_valid(vq, in, n_in, &in_len) || in_len > UINT32_MAX)
		return -HV_EINVAL;
	unsigned n = n_out + n_in;

	if (n > vq->num_free)
		return -HV_ENOSPC;

	uint16_t head = vq->free_head, i = head;

	for (unsigned k = 0; k < n; k++) {
		const struct vring_seg *s = k < n_out ? &out[k] : &in[k - n_out];
		bool last = k == n - 1;
		uint16_t next = vq->state[i].next;

		/* Written from our private free list, never read back: the
		 * descriptor table is in shared memory the device can scribble on. */
		SHARED_STORE(vq->desc[i].addr, s->gpa);
		SHARED_STORE(vq->desc[i].len, s->len);
		SHARED_STORE(vq->desc[i].flags, (le16)((k >= n_out ? VIRTQ_DESC_F_WRITE : 0) |
						       (last ? 0 : VIRTQ_DESC_F_NEXT)));
		SHARED_STORE(vq->desc[i].next, last ? 0 : next);
		i = next;
	}
	vq->free_head = i;
	vq->num_free -= n;
	vq->state[head].chain_len = (uint16_t)n;
	vq->state[head].in_len = (uint32_t)in_len;
	vq->outstanding++;

	SHARED_STORE(vq->avail->ring[vq->avail_idx & vq->mask], head);
	vq->avail_idx++;
	/* Release: the descriptors and the ring entry above are visible to
	 * the device before the index that hands them over (2.6.13.3). */
	__atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELEASE);
	return head;
}

int vring_add_tx(struct vring *vq, uint64_t gpa, uint32_t len)
{
	struct vring_seg s = { .gpa = gpa, .len = len };

	if (len < sizeof(struct virtio_net_hdr_v1))
		return -HV_EINVAL;
	return vring_add(vq, &s, 1, NULL, 0);
}

int vring_add_rx(struct vring *vq, uint64_t gpa, uint32_t len)
{
	struct vring_seg s = { .gpa = gpa, .len = len };

	if (len < sizeof(struct virtio_net_hdr_v1))
		return -HV_EINVAL;
	return vring_add(vq, NULL, 0, &s, 1);
}

bool vring_kick_needed(struct vring *vq)
{
	if (vq->role != VRING_DRIVER || vq->broken)
		return false;
	/* Full fence: our avail->idx store must be visible before we read
	 * the device's avail_event/flags; otherwise the device may read the
	 * old idx, decide to sleep and ask for a kick we then miss
	 * (2.6.13.4; pairs with the fence in vring_enable_kicks()). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	uint16_t old = vq->kicked_idx, new = vq->avail_idx;

	vq->kicked_idx = new;
	if (old == new)
		return false;
	if (vq->event_idx)
		return vring_need_event(SHARED_LOAD(*vq->avail_event), new, old);
	return !(SHARED_LOAD(vq->used->flags) & VIRTQ_USED_F_NO_NOTIFY);
}

int vring_get_used(struct vring *vq, uint32_t *len)
{
	if (vq->role != VRING_DRIVER || !len)
		return -HV_EINVAL;
	if (vq->broken)
		return -HV_EIO;
	/* Acquire: the used entries read below are at least as new as the
	 * index that announced them (2.6.8). */
	uint16_t used_idx = __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
	uint16_t pending = (uint16_t)(used_idx - vq->last_used);

	if (!pending)
		return -HV_EAGAIN;
	if (pending > vq->outstanding)
		return vring_break(vq, "used.idx %u is %u ahead of last seen %u, %u outstanding", U(used_idx),
				   U(pending), U(vq->last_used), U(vq->outstanding));

	uint16_t slot = vq->last_used & vq->mask;
	uint32_t id = SHARED_LOAD(vq->used->ring[slot].id);
	uint32_t used_len = SHARED_LOAD(vq->used->ring[slot].len);

	if (id >= vq->qsize)
		return vring_break(vq, "used.ring[%u]: id %u >= qsize %u", U(slot), U(id), U(vq->qsize));
	struct vring_desc_state *head = &vq->state[id];

	if (!head->chain_len)
		return vring_break(vq, "used.ring[%u]: id %u not outstanding", U(slot), U(id));
	if (used_len > head->in_len)
		return vring_break(vq, "used.ring[%u]: len %u > writable %u of id %u", U(slot), U(used_len),
				   U(head->in_len), U(id));

	/* Free the chain by our private links (chain_len of them). */
	uint16_t last = (uint16_t)id;

	for (uint16_t k = 1; k < head->chain_len; k++)
		last = vq->state[last].next;
	vq->state[last].next = vq->free_head;
	vq->free_head = (uint16_t)id;
	vq->num_free += head->chain_len;
	head->chain_len = 0;
	head->in_len = 0;
	vq->outstanding--;
	vq->last_used++;
	/* With event index and interrupts wanted, ask for the next entry
	 * (a hint; vring_enable_interrupts() does the race-free version). */
	if (vq->event_idx && vq->irq_enabled)
		SHARED_STORE(*vq->used_event, vq->last_used);
	*len = used_len;
	return (int)id;
}

void vring_disable_interrupts(struct vring *vq)
{
	if (vq->role != VRING_DRIVER || vq->broken)
		return;
	vq->irq_enabled = false;
	/* With event index, flags must stay 0 (2.6.7.1): put used_event just
	 * behind us instead, which the device reaches only after 2^16 entries. */
	if (vq->event_idx)
		SHARED_STORE(*vq->used_event, (uint16_t)(vq->last_used - 1));
	else
		SHARED_STORE(vq->avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT);
}

int vring_enable_interrupts(struct vring *vq)
{
	if (vq->role != VRING_DRIVER)
		return -HV_EINVAL;
	if (vq->broken)
		return -HV_EIO;
	vq->irq_enabled = true;
	if (vq->event_idx)
		SHARED_STORE(*vq->used_event, vq->last_used);
	else
		SHARED_STORE(vq->avail->flags, 0);
	/* Full fence: the request above must be visible before we look at
	 * used->idx again, or an entry the device pushed in between (having
	 * read the old request) would get no interrupt and we would sleep on
	 * it (pairs with the fence in vring_notify_needed()). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return SHARED_LOAD(vq->used->idx) != vq->last_used ? 1 : 0;
}

/* ---- Device. ---- */

int vring_device_init(struct vring *vq, const struct vring_config *cfg)
{
	return setup(vq, cfg, VRING_DEVICE);
}

int vring_pop(struct vring *vq, struct vring_buf *segs, unsigned max_segs, struct vring_chain *chain)
{
	if (vq->role != VRING_DEVICE || !segs || !max_segs || !chain)
		return -HV_EINVAL;
	if (vq->broken)
		return -HV_EIO;
	/* Acquire: the ring entry and descriptors read below are at least as
	 * new as the index that made them available (2.6.13.3). */
	uint16_t avail_idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	uint16_t pending = (uint16_t)(avail_idx - vq->last_avail);

	if (!pending)
		return -HV_EAGAIN;
	if (pending > vq->qsize)
		return vring_break(vq, "avail.idx %u is %u ahead of last seen %u (qsize %u)", U(avail_idx),
				   U(pending), U(vq->last_avail), U(vq->qsize));
	/* Every chain holds a descriptor: a driver cannot have more than
	 * qsize of them in flight at once. */
	if (vq->in_flight >= vq->qsize)
		return vring_break(vq, "avail.idx %u: more than qsize %u chains in flight", U(avail_idx),
				   U(vq->qsize));

	uint16_t slot = vq->last_avail & vq->mask;
	uint16_t head = SHARED_LOAD(vq->avail->ring[slot]);

	if (head >= vq->qsize)
		return vring_break(vq, "avail.ring[%u]: head %u >= qsize %u", U(slot), U(head), U(vq->qsize));

	/* Limit on the chain's bytes: they are in the region, and used.len
	 * is 32 bits. */
	uint64_t limit = vq->region.size < UINT32_MAX ? vq->region.size : UINT32_MAX;
	uint64_t total = 0, out_len = 0, in_len = 0;
	uint32_t count = 0, n_out = 0, n_in = 0;
	uint16_t i = head;

	for (;;) {
		/* Each step follows a next already checked < qsize, so a chain
		 * longer than qsize revisits a descriptor: a loop. */
		if (++count > vq->qsize)
			return vring_break(vq, "desc chain from head %u loops (more than qsize %u descriptors)",
					   U(head), U(vq->qsize));
		/* Copy the descriptor once; only the copy is checked and used. */
		struct virtq_desc d = {
			.addr = SHARED_LOAD(vq->desc[i].addr),
			.len = SHARED_LOAD(vq->desc[i].len),
			.flags = SHARED_LOAD(vq->desc[i].flags),
			.next = SHARED_LOAD(vq->desc[i].next),
		};
		bool writable = d.flags & VIRTQ_DESC_F_WRITE;

		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return vring_break(vq, "desc %u: INDIRECT not negotiated", U(i));
		if (d.flags & ~(VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE))
			return vring_break(vq, "desc %u: unknown flags %x", U(i), U(d.flags));
		if (!writable && n_in)
			return vring_break(vq, "desc %u: readable after writable", U(i));
		if (!d.len)
			return vring_break(vq, "desc %u: len 0", U(i));
		if (!in_region(&vq->region, d.addr, d.len))
			return vring_break(vq, "desc %u: addr %x len %u outside region %x size %x", U(i), U(d.addr),
					   U(d.len), U(vq->region.gpa), U(vq->region.size));
		total += d.len;
		if (total > limit)
			return vring_break(vq, "desc chain from head %u: total length %u > %u", U(head), U(total),
					   U(limit));
		if (count <= max_segs)
			segs[count - 1] = (struct vring_buf){
				.host = region_ptr(&vq->region, d.addr),
				.gpa = d.addr,
				.len = d.len,
				.writable = writable,
			};
		if (writable) {
			n_in++;
			in_len += d.len;
		} else {
			n_out++;
			out_len += d.len;
		}
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		if (d.next >= vq->qsize)
			return vring_break(vq, "desc %u: next %u >= qsize %u", U(i), U(d.next), U(vq->qsize));
		i = d.next;
	}
	/* Checked after the walk so that a loop is named as one. */
	if (count > max_segs)
		return vring_break(vq, "desc chain from head %u: %u descriptors > %u segments", U(head), U(count),
				   U(max_segs));

	*chain = (struct vring_chain){
		.head = head,
		.n_out = (uint16_t)n_out,
		.n_in = (uint16_t)n_in,
		.out_len = (uint32_t)out_len,
		.in_len = (uint32_t)in_len,
	};
	vq->last_avail++;
	vq->in_flight++;
	return head;
}

int vring_push_used(struct vring *vq, uint16_t head, uint32_t len)
{
	if (vq->role != VRING_DEVICE)
		return -HV_EINVAL;
	if (vq->broken)
		return -HV_EIO;
	if (!vq->in_flight || head >= vq->qsize)
		return -HV_EINVAL;
	uint16_t slot = vq->used_idx & vq->mask;

	SHARED_STORE(vq->used->ring[slot].id, head);
	SHARED_STORE(vq->used->ring[slot].len, len);
	vq->used_idx++;
	vq->in_flight--;
	/* Release: the entry is visible to the driver before the index that
	 * hands it over (2.6.8). */
	__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
	return 0;
}

bool vring_notify_needed(struct vring *vq)
{
	if (vq->role != VRING_DEVICE || vq->broken)
		return false;
	/* Full fence: our used->idx store must be visible before we read the
	 * driver's used_event/flags, or the driver may re-check the old idx
	 * after enabling interrupts and sleep on an entry we do not signal
	 * (pairs with the fence in vring_enable_interrupts()). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	uint16_t old = vq->signalled_idx, new = vq->used_idx;

	vq->signalled_idx = new;
	if (old == new)
		return false;
	if (vq->event_idx)
		return vring_need_event(SHARED_LOAD(*vq->used_event), new, old);
	return !(SHARED_LOAD(vq->avail->flags) & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

void vring_disable_kicks(struct vring *vq)
{
	if (vq->role != VRING_DEVICE || vq->broken)
		return;
	/* With event index, flags must stay 0 (2.6.10.1): put avail_event
	 * just behind us, which the driver reaches only after 2^16 entries. */
	if (vq->event_idx)
		SHARED_STORE(*vq->avail_event, (uint16_t)(vq->last_avail - 1));
	else
		SHARED_STORE(vq->used->flags, VIRTQ_USED_F_NO_NOTIFY);
}

int vring_enable_kicks(struct vring *vq)
{
	if (vq->role != VRING_DEVICE)
		return -HV_EINVAL;
	if (vq->broken)
		return -HV_EIO;
	if (vq->event_idx)
		SHARED_STORE(*vq->avail_event, vq->last_avail);
	else
		SHARED_STORE(vq->used->flags, 0);
	/* Full fence: the request above must be visible before we look at
	 * avail->idx again, or a chain the driver added in between (having
	 * read the old request) would get no kick and we would sleep on it
	 * (pairs with the fence in vring_kick_needed()). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return SHARED_LOAD(vq->avail->idx) != vq->last_avail ? 1 : 0;
}
