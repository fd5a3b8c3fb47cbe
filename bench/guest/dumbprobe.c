// SPDX-License-Identifier: GPL-2.0
/*
 * dumbprobe: measurements and whole-system checks of dumb buffers, run
 * inside the runtime stage's QEMU guests (the kselftest of the series
 * checks the ABI; this measures).  Linked statically; talks to the DRM
 * device with raw ioctls, so it needs only the kernel's UAPI headers.
 *
 *   dumbprobe exhaust W H       create WxH XRGB8888 dumb buffers until the
 *                               kernel refuses one; print the count, the
 *                               error and the buffer size; free them
 *   dumbprobe latency W H N     N times: create, mmap, write the first byte
 *                               of each page, destroy; print the median and
 *                               quartiles in microseconds
 *   dumbprobe vmalloc W H N     the kernel address space in use (the sizes
 *                               /proc/vmallocinfo lists) before and after
 *                               creating N buffers, and after mapping them
 *                               to userspace; VmallocUsed does not count
 *                               remapped DMA buffers, only vmalloc's pages
 *   dumbprobe prime             export a dumb buffer of the device through
 *                               PRIME, import it into vkms, scan it out
 *                               there and compare vkms's CRC of it with
 *                               the CRC of a vkms buffer of the same pixels:
 *                               vkms reads the pixels through a kernel
 *                               mapping of the exporter's buffer (vmap)
 *   dumbprobe import            the other way round, for Exynos: import a
 *                               one-page vkms buffer and print the flags
 *                               and size DRM_IOCTL_EXYNOS_GEM_GET reports
 *
 * The device is the one named in DRM_DEVICE (the guest's /init sets it to
 * the card of the driver under test).  Every result line starts with
 * "dumbprobe: <probe>" and is key=value pairs, for the host to parse; every
 * path prints one, with error=<what> when the probe could not measure.
 * Built with the selftests' drm_util.h (tools/testing/selftests/drm).
 */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <drm/drm.h>
#include <drm/drm_fourcc.h>
#include <drm/drm_mode.h>
#include <drm/exynos_drm.h>

#include "drm_util.h"

#define MAX_BUFFERS	4096
#define MAX_SIZE	16384

static int create(int fd, uint32_t w, uint32_t h,
		  struct drm_mode_create_dumb *buf)
{
	memset(buf, 0, sizeof(*buf));
	buf->width = w;
	buf->height = h;
	buf->bpp = 32;
	return drm_ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, buf);
}

static void destroy(int fd, uint32_t handle)
{
	struct drm_mode_destroy_dumb arg = { .handle = handle };

	drm_ioctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &arg);
}

static void *map(int fd, const struct drm_mode_create_dumb *buf)
{
	struct drm_mode_map_dumb arg = { .handle = buf->handle };
	void *ptr;

	if (drm_ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &arg))
		return NULL;
	ptr = mmap(NULL, buf->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   arg.offset);
	return ptr == MAP_FAILED ? NULL : ptr;
}

/*
 * The kernel virtual address space in use, in KiB: the sum of the areas
 * /proc/vmallocinfo lists (vmalloc, vmap, ioremap and the DMA layer's
 * remapping of buffers alike, each with its guard page), or -1.
 */
static long vmap_used_kib(void)
{
	unsigned long long sum = 0, size;
	char line[512];
	FILE *f;

	f = fopen("/proc/vmallocinfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %llu", &size) == 1)
			sum += size;
	fclose(f);
	return sum / 1024;
}

static const char *errname(int err)
{
	static char num[16];

	if (err > 0)
		return "not-run";
	switch (err) {
	case 0:
		return "none";
	case -ENOMEM:
		return "ENOMEM";
	case -ENOSPC:
		return "ENOSPC";
	case -EINVAL:
		return "EINVAL";
	case -E2BIG:
		return "E2BIG";
	}
	snprintf(num, sizeof(num), "%d", -err);
	return num;
}

static int exhaust(int fd, uint32_t w, uint32_t h)
{
	static uint32_t handles[MAX_BUFFERS];
	struct drm_mode_create_dumb buf;
	uint64_t size = 0;
	int n, ret = 0;

	for (n = 0; n < MAX_BUFFERS; n++) {
		ret = create(fd, w, h, &buf);
		if (ret)
			break;
		handles[n] = buf.handle;
		size = buf.size;
	}
	printf("dumbprobe: exhaust width=%u height=%u size=%llu buffers=%d "
	       "error=%s\n", w, h, (unsigned long long)size, n, errname(ret));
	while (n--)
		destroy(fd, handles[n]);
	return ret == -ENOMEM || ret == -ENOSPC ? 0 : 1;
}

static int cmp_ns(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* 64-bit arithmetic: time_t and long are 32 bits on armhf. */
static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int latency(int fd, uint32_t w, uint32_t h, int count)
{
	int64_t *ns = calloc(count, sizeof(*ns));
	long page = sysconf(_SC_PAGESIZE);
	struct drm_mode_create_dumb buf;
	const char *error = NULL;
	int i, ret = 0;

	for (i = 0; ns && i < count; i++) {
		int64_t t0 = now_ns();
		uint8_t *ptr;
		uint64_t off;

		ret = create(fd, w, h, &buf);
		if (ret) {
			error = "create";
			break;
		}
		ptr = map(fd, &buf);
		if (!ptr) {
			ret = -errno;
			error = "map";
			destroy(fd, buf.handle);
			break;
		}
		for (off = 0; off < buf.size; off += page)
			ptr[off] = 1;
		munmap(ptr, buf.size);
		destroy(fd, buf.handle);
		ns[i] = now_ns() - t0;
	}
	if (!ns || error) {
		printf("dumbprobe: latency width=%u height=%u count=%d "
		       "error=%s errno=%s\n", w, h, count,
		       error ? error : "no-memory", errname(ret));
		free(ns);
		return 1;
	}
	qsort(ns, count, sizeof(*ns), cmp_ns);
	printf("dumbprobe: latency width=%u height=%u count=%d "
	       "median_us=%lld q1_us=%lld q3_us=%lld\n", w, h, count,
	       (long long)(ns[count / 2] / 1000),
	       (long long)(ns[count / 4] / 1000),
	       (long long)(ns[count * 3 / 4] / 1000));
	free(ns);
	return 0;
}

static int vmalloc(int fd, uint32_t w, uint32_t h, int count)
{
	static struct drm_mode_create_dumb bufs[MAX_BUFFERS];
	static void *ptrs[MAX_BUFFERS];
	long before, created, mapped;
	int i, n, maps = 0, ret = 0;
	const char *error = "none";

	before = vmap_used_kib();
	for (n = 0; n < count; n++) {
		ret = create(fd, w, h, &bufs[n]);
		if (ret)
			break;
	}
	created = vmap_used_kib();
	for (i = 0; i < n; i++) {
		ptrs[i] = map(fd, &bufs[i]);
		maps += ptrs[i] != NULL;
	}
	mapped = vmap_used_kib();
	if (before < 0)
		error = "no-vmallocinfo";
	else if (n < count)
		error = "create";
	else if (maps < n)
		error = "map";
	printf("dumbprobe: vmalloc width=%u height=%u size=%llu buffers=%d "
	       "mapped=%d before_kib=%ld created_kib=%ld mapped_kib=%ld "
	       "error=%s errno=%s\n", w, h,
	       n ? (unsigned long long)bufs[0].size : 0ULL, n, maps, before,
	       created, mapped, error, errname(ret));
	for (i = 0; i < n; i++) {
		if (ptrs[i])
			munmap(ptrs[i], bufs[i].size);
		destroy(fd, bufs[i].handle);
	}
	return strcmp(error, "none") != 0;
}

static int open_driver(const char *want)
{
	char path[32], name[32];
	int i;

	for (i = 0; i < 16; i++) {
		int fd;

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!driver_name(fd, name, sizeof(name)) && !strcmp(name, want))
			return fd;
		close(fd);
	}
	return -1;
}

/* The first CRTC and the first connected connector of a device, with a mode. */
static int first_output(int fd, uint32_t *crtc, uint32_t *conn,
			struct drm_mode_modeinfo *mode)
{
	uint32_t crtcs[8], conns[8];
	struct drm_mode_card_res res = { 0 };
	unsigned int i;

	if (drm_ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res))
		return -1;
	if (!res.count_crtcs || !res.count_connectors)
		return -1;
	res.count_crtcs = res.count_crtcs > 8 ? 8 : res.count_crtcs;
	res.count_connectors = res.count_connectors > 8 ? 8 :
			       res.count_connectors;
	res.crtc_id_ptr = (uintptr_t)crtcs;
	res.connector_id_ptr = (uintptr_t)conns;
	res.count_fbs = 0;
	res.count_encoders = 0;
	if (drm_ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res))
		return -1;
	*crtc = crtcs[0];
	for (i = 0; i < res.count_connectors; i++) {
		struct drm_mode_get_connector c = { .connector_id = conns[i] };
		struct drm_mode_modeinfo modes[64];

		if (drm_ioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &c) ||
		    c.connection != 1 || !c.count_modes)
			continue;
		c.count_modes = c.count_modes > 64 ? 64 : c.count_modes;
		c.modes_ptr = (uintptr_t)modes;
		c.count_props = 0;
		c.count_encoders = 0;
		if (drm_ioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &c))
			continue;
		*conn = conns[i];
		*mode = modes[0];
		for (i = 0; i < c.count_modes; i++)
			if (modes[i].type & DRM_MODE_TYPE_PREFERRED)
				*mode = modes[i];
		return 0;
	}
	return -1;
}

static void fill(uint8_t *ptr, const struct drm_mode_create_dumb *buf,
		 uint32_t seed)
{
	uint32_t x, y;

	for (y = 0; y < buf->height; y++) {
		uint32_t *row = (uint32_t *)(ptr + (uint64_t)y * buf->pitch);

		for (x = 0; x < buf->width; x++)
			row[x] = (x * 2654435761u) ^ (y * 40503u) ^ seed;
	}
}

static int scan_out(int fd, uint32_t crtc, uint32_t conn,
		    const struct drm_mode_modeinfo *mode, uint32_t fb_id)
{
	struct drm_mode_crtc arg = {
		.set_connectors_ptr = (uintptr_t)&conn, .count_connectors = 1,
		.crtc_id = crtc, .fb_id = fb_id, .mode_valid = 1,
		.mode = *mode,
	};

	return drm_ioctl(fd, DRM_IOCTL_MODE_SETCRTC, &arg);
}

/*
 * vkms's CRC of its first CRTC, from the third entry after capture starts
 * (the first may still show the previous framebuffer). Returns 0, or the
 * step that failed, with errno in *err.
 */
static const char *read_crc(int fd, unsigned long *crc, int *err)
{
	char path[80], line[64];
	int i, data, valid = 0;
	unsigned long frame;
	struct stat st;
	FILE *f;

	*err = 0;
	if (fstat(fd, &st))
		return "fstat";
	snprintf(path, sizeof(path), "/sys/kernel/debug/dri/%u/crtc-0/crc/control",
		 minor(st.st_rdev));
	f = fopen(path, "w");
	if (!f || fputs("auto", f) < 0 || fclose(f)) {
		*err = errno;
		return "crc-control";
	}
	snprintf(path, sizeof(path), "/sys/kernel/debug/dri/%u/crtc-0/crc/data",
		 minor(st.st_rdev));
	data = open(path, O_RDONLY | O_CLOEXEC);
	if (data < 0) {
		*err = errno;
		return "crc-open";
	}
	/* Each read() returns one entry, waiting for it if need be. */
	for (i = 0; i < 16 && valid < 3; i++) {
		ssize_t len = read(data, line, sizeof(line) - 1);

		if (len <= 0) {
			*err = len ? errno : 0;
			break;
		}
		line[len] = '\0';
		if (sscanf(line, "%lx %lx", &frame, crc) == 2)
			valid++;
	}
	close(data);
	return valid == 3 ? NULL : "crc-read";
}

/* A dumb buffer of fd for mode, filled from seed, and a framebuffer of it. */
static int pattern_fb(int fd, const struct drm_mode_modeinfo *mode,
		      uint32_t seed, struct drm_mode_create_dumb *buf,
		      uint32_t *fb_id)
{
	uint8_t *ptr;

	if (create(fd, mode->hdisplay, mode->vdisplay, buf))
		return -1;
	ptr = map(fd, buf);
	if (!ptr)
		return -1;
	fill(ptr, buf, seed);
	munmap(ptr, buf->size);
	return fb_id ? add_fb(fd, buf->width, buf->height, buf->pitch,
			     buf->handle, fb_id) : 0;
}

/* Hand a buffer of exp to imp through PRIME; *step says how far it got. */
static int share(int exp, uint32_t handle, int imp, uint32_t *imported,
		 const char **step)
{
	struct drm_prime_handle out = {
		.handle = handle, .flags = DRM_CLOEXEC | DRM_RDWR,
	};
	struct drm_prime_handle in = { 0 };
	int ret;

	*step = "export";
	if (drm_ioctl(exp, DRM_IOCTL_PRIME_HANDLE_TO_FD, &out))
		return -1;
	*step = "import";
	in.fd = out.fd;
	ret = drm_ioctl(imp, DRM_IOCTL_PRIME_FD_TO_HANDLE, &in);
	close(out.fd);
	*imported = in.handle;
	return ret;
}

static int prime(int exp)
{
	unsigned long crc_imported = 0, crc_native = 0, crc_other = 0;
	struct drm_mode_create_dumb ebuf, nbuf, obuf;
	uint32_t crtc, conn, fb_imp = 0, fb_nat = 0, fb_oth = 0;
	uint32_t handle = 0;
	struct drm_mode_modeinfo mode = { 0 };
	const char *step, *crc_step = NULL;
	int i, imp, ret, set = 1, crc_err = 0;
	/* The imported buffer, vkms's of the same pixels, one of others. */
	const struct {
		const char *step;
		uint32_t *fb;
		unsigned long *crc;
	} scans[] = {
		{ "scanout-imported", &fb_imp, &crc_imported },
		{ "scanout-native", &fb_nat, &crc_native },
		{ "scanout-other", &fb_oth, &crc_other },
	};

	imp = open_driver("vkms");
	step = "no-vkms";
	if (imp < 0)
		goto report;
	step = "no-vkms-output";
	if (first_output(imp, &crtc, &conn, &mode))
		goto report;
	step = "export";
	if (pattern_fb(exp, &mode, 0x5a5a5a5a, &ebuf, NULL) ||
	    share(exp, ebuf.handle, imp, &handle, &step))
		goto report;
	step = "addfb";
	if (add_fb(imp, ebuf.width, ebuf.height, ebuf.pitch, handle,
		   &fb_imp))
		goto report;
	step = "vkms-buffers";
	if (pattern_fb(imp, &mode, 0x5a5a5a5a, &nbuf, &fb_nat) ||
	    pattern_fb(imp, &mode, 0x0f0f0f0f, &obuf, &fb_oth))
		goto report;
	for (i = 0; i < 3; i++) {
		step = scans[i].step;
		set = scan_out(imp, crtc, conn, &mode, *scans[i].fb);
		if (set)
			goto report;
		crc_step = read_crc(imp, scans[i].crc, &crc_err);
		if (crc_step)
			goto report;
	}
	step = "done";
report:
	ret = strcmp(step, "done") || crc_imported != crc_native ||
	      crc_native == crc_other;
	printf("dumbprobe: prime mode=%ux%u step=%s setcrtc=%s crc_step=%s "
	       "crc_errno=%d crc_imported=0x%08lx crc_native=0x%08lx "
	       "crc_other=0x%08lx match=%s\n", mode.hdisplay, mode.vdisplay,
	       step, errname(set),
	       crc_step ? crc_step : "none", crc_err, crc_imported, crc_native,
	       crc_other, ret ? "no" : "yes");
	return ret;
}

static int import(int imp)
{
	uint32_t handle = 0;
	struct drm_exynos_gem_info info = { 0 };
	struct drm_mode_map_dumb map = { 0 };
	struct drm_mode_create_dumb buf;
	const char *step = "no-vkms";
	int exp, mapped = 1;

	exp = open_driver("vkms");
	if (exp < 0)
		goto report;
	step = "export";
	if (create(exp, 1024, 1, &buf) ||
	    share(exp, buf.handle, imp, &handle, &step))
		goto report;
	step = "gem-get";
	info.handle = handle;
	if (drm_ioctl(imp, DRM_IOCTL_EXYNOS_GEM_GET, &info))
		goto report;
	map.handle = handle;
	mapped = drm_ioctl(imp, DRM_IOCTL_MODE_MAP_DUMB, &map);
	step = "done";
report:
	printf("dumbprobe: import step=%s flags=%u size=%llu map=%s\n", step,
	       info.flags, (unsigned long long)info.size, errname(mapped));
	return strcmp(step, "done") != 0;
}

/* A number in [1, max] from a command-line argument, or 0. */
static uint32_t number(const char *arg, uint32_t max)
{
	unsigned long value;
	char *end;

	errno = 0;
	value = strtoul(arg, &end, 0);
	if (errno || end == arg || *end || value < 1 || value > max)
		return 0;
	return value;
}

static int usage(const char *prog, const char *why)
{
	fprintf(stderr, "%s: %s\nusage: %s exhaust W H | latency W H N | "
		"vmalloc W H N | prime | import\n  W, H in [1, %d], N in "
		"[1, %d]; the device is $DRM_DEVICE\n", prog, why, prog,
		MAX_SIZE, MAX_BUFFERS);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int args;
	} probes[] = {
		{ "exhaust", 2 }, { "latency", 3 }, { "vmalloc", 3 },
		{ "prime", 0 }, { "import", 0 },
	};
	const char *device = getenv("DRM_DEVICE");
	uint32_t w = 0, h = 0, n = 0;
	unsigned int i;
	int fd;

	if (argc < 2)
		return usage(argv[0], "no probe named");
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		if (!strcmp(argv[1], probes[i].name))
			break;
	if (i == sizeof(probes) / sizeof(probes[0]))
		return usage(argv[0], "unknown probe");
	if (argc != 2 + probes[i].args)
		return usage(argv[0], "wrong number of arguments");
	if (probes[i].args >= 2) {
		w = number(argv[2], MAX_SIZE);
		h = number(argv[3], MAX_SIZE);
		if (!w || !h)
			return usage(argv[0], "bad width or height");
	}
	if (probes[i].args == 3) {
		n = number(argv[4], MAX_BUFFERS);
		if (!n)
			return usage(argv[0], "bad count");
	}
	fd = device ? open(device, O_RDWR | O_CLOEXEC) : -1;
	if (fd < 0) {
		printf("dumbprobe: %s error=no-device device=%s errno=%d\n",
		       argv[1], device ? device : "unset", device ? errno : 0);
		return 1;
	}
	if (!strcmp(argv[1], "prime"))
		return prime(fd);
	if (!strcmp(argv[1], "import"))
		return import(fd);
	if (!strcmp(argv[1], "exhaust"))
		return exhaust(fd, w, h);
	if (!strcmp(argv[1], "latency"))
		return latency(fd, w, h, n);
	return vmalloc(fd, w, h, n);
}
