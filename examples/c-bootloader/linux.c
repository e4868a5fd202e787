/*
 * linux.c - a C bootloader that starts an unmodified arm64 Linux kernel on tables the
 * library built (make run-linux, qemu-virt only).
 *
 * QEMU (-M virt,virtualization=on) enters it at EL2, where it stays (built with
 * -DBM_STAY_AT_ENTRY_EL), so that Linux too starts at EL2 and brings KVM up. QEMU has put
 * the devicetree at the start of RAM, with -append in /chosen/bootargs; the kernel's
 * Image at LINUX_IMAGE_LOAD and the initramfs where bootargs' initrd=ADDR,SIZE says (two
 * -device loader). The loader:
 *
 *   1. maps RAM (the devicetree's /memory), its own image and the UART in the EL2 regime
 *      and turns the MMU and caches on (idmap_enable_mmu_checked);
 *   2. checks the Image header and places the kernel as Linux's
 *      Documentation/arch/arm64/booting.rst asks: text_offset above a 2 MiB boundary (the
 *      first past this loader), image_size bytes free there, clear of the devicetree,
 *      the loader and the initramfs; it copies the Image there with the caches on (the
 *      initramfs stays where bootargs tells Linux it is);
 *   3. cleans the kernel and the initramfs to the point of coherency (idmap_clean_to_poc):
 *      Linux reads them with its MMU and caches off;
 *   4. turns the MMU off (idmap_disable_mmu) and enters the kernel at EL2, interrupts
 *      masked, with x0 = the devicetree and x1 = x2 = x3 = 0.
 *
 * Anything wrong is said on the console and ends the run with status 1.
 */
#include "bm.h"
#include "board.h"
#include "idmap.h"

#define MIB (1024 * 1024ULL)

/* ---- The devicetree (Devicetree Specification v0.4, 5 "Flattened Devicetree (DTB)
 * Format"): big-endian, read a byte at a time, since its 64-bit cells are only 4-byte
 * aligned and it is read with the MMU off, where an unaligned access faults. */

#define FDT_MAGIC 0xd00dfeedU
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p) { return (uint64_t)be32(p) << 32 | be32(p + 4); }

static size_t str_len(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static int starts_with(const char *s, const char *prefix)
{
    while (*prefix)
        if (*s++ != *prefix++)
            return 0;
    return 1;
}

/* Whether a node named @name is @node: "memory@40000000" is "memory". */
static int node_is(const char *name, const char *node)
{
    size_t n = str_len(node);
    return starts_with(name, node) && (name[n] == '\0' || name[n] == '@');
}

/* The value of property @prop of the root's child @node, its length in *len; NULL where
 * there is none. */
static const uint8_t *fdt_property(const uint8_t *fdt, const char *node, const char *prop,
                                   uint32_t *len)
{
    const uint8_t *p = fdt + be32(fdt + 8);                  /* off_dt_struct */
    const char *strings = (const char *)fdt + be32(fdt + 12); /* off_dt_strings */
    unsigned depth = 0;
    int inside = 0;
    for (;;) {
        uint32_t token = be32(p);
        p += 4;
        if (token == FDT_BEGIN_NODE) {
            const char *name = (const char *)p;
            if (++depth == 2)
                inside = node_is(name, node);
            p += (str_len(name) + 4) & ~(size_t)3;
        } else if (token == FDT_END_NODE) {
            depth--;
        } else if (token == FDT_PROP) {
            uint32_t size = be32(p);
            const char *name = strings + be32(p + 4);
            if (inside && depth == 2 && starts_with(name, prop) && name[str_len(prop)] == '\0') {
                *len = size;
                return p + 8;
            }
            p += 8 + ((size + 3) & ~(uint32_t)3);
        } else if (token != FDT_NOP) {
            return NULL; /* FDT_END */
        }
    }
}

/* A number as Linux's memparse reads one here: 0x... hexadecimal, else decimal. */
static uint64_t parse_number(const char **s)
{
    const char *p = *s;
    unsigned base = 10;
    uint64_t v = 0;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    for (;; p++) {
        unsigned digit;
        if (*p >= '0' && *p <= '9')
            digit = (unsigned)(*p - '0');
        else if (base == 16 && (*p | 0x20) >= 'a' && (*p | 0x20) <= 'f')
            digit = (unsigned)((*p | 0x20) - 'a' + 10);
        else
            break;
        v = v * base + digit;
    }
    *s = p;
    return v;
}

/* ---- What the loader works with */

struct range {
    const char *what;
    uint64_t start, end;
};

static void die(const char *what) __attribute__((noreturn));
static void die(const char *what)
{
    bm_printf("error: %s\n", what);
    bm_exit(1);
}

static void check(idmap_status_t st, const idmap_t *map, const char *what)
{
    if (st == IDMAP_OK)
        return;
    char line[200];
    idmap_format_error(idmap_last_error(map), line, sizeof line);
    bm_printf("error: %s: %s\n", what, line);
    bm_exit(1);
}

/* The devicetree's RAM and the initramfs of its bootargs (qemu-virt's root has
 * #address-cells = #size-cells = 2). */
static void read_devicetree(const uint8_t *fdt, struct range *ram, struct range *initrd)
{
    uint32_t len;
    if (be32(fdt) != FDT_MAGIC)
        die("no devicetree at the start of RAM");
    const uint8_t *reg = fdt_property(fdt, "memory", "reg", &len);
    if (!reg || len < 16)
        die("the devicetree has no /memory reg");
    ram->start = be64(reg);
    ram->end = ram->start + be64(reg + 8);

    const char *args = (const char *)fdt_property(fdt, "chosen", "bootargs", &len);
    for (const char *p = args; p && *p; p++) {
        if ((p == args || p[-1] == ' ') && starts_with(p, "initrd=")) {
            p += 7;
            initrd->start = parse_number(&p);
            if (*p++ != ',')
                break;
            initrd->end = initrd->start + parse_number(&p);
            bm_printf("bootargs: %s\n", args);
            return;
        }
    }
    die("no initrd=ADDR,SIZE in /chosen/bootargs (QEMU's -append)");
}

/* Fails unless @r lies in RAM and overlaps none of @others. */
static void check_clear(const struct range *r, const struct range *ram,
                        const struct range *others, size_t n)
{
    if (r->start < ram->start || r->end > ram->end || r->end < r->start) {
        bm_printf("error: %s [0x%llx, 0x%llx) is not in RAM\n", r->what,
                  (unsigned long long)r->start, (unsigned long long)r->end);
        bm_exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        if (r->start < others[i].end && others[i].start < r->end) {
            bm_printf("error: %s [0x%llx, 0x%llx) overlaps %s [0x%llx, 0x%llx)\n", r->what,
                      (unsigned long long)r->start, (unsigned long long)r->end, others[i].what,
                      (unsigned long long)others[i].start, (unsigned long long)others[i].end);
            bm_exit(1);
        }
    }
}

/* The arm64 Image header (booting.rst, "Call the kernel image"), little-endian. */
struct image_header {
    uint32_t code0, code1;
    uint64_t text_offset; /* from a 2 MiB-aligned base */
    uint64_t image_size;  /* bytes the kernel uses from its start, its BSS included */
    uint64_t flags;       /* bit 0 big-endian, bits 2:1 page size, bit 3 placed anywhere */
    uint64_t res2, res3, res4;
    uint32_t magic; /* "ARM\x64" */
    uint32_t res5;
};
#define IMAGE_MAGIC 0x644d5241U

/* EL2 with HCR_EL2.E2H = 0, as start.S leaves it: no ASID; root level 1, 512 GiB. */
static const idmap_config_t el2_config = {IDMAP_REGIME_EL2, IDMAP_VA_RANGE_LOWER, 0, 1, 0, NULL};

int bm_main(unsigned entry_el)
{
    bm_uart_init();
    bm_printf("\nLinux loader on %s: entered at %s\n", BOARD_NAME, bm_el_name(entry_el));
    if (entry_el != 2)
        die("Linux is started at EL2 here: run QEMU with -M virt,virtualization=on");

    const uint8_t *fdt = (const uint8_t *)(uintptr_t)BOARD_RAM_BASE;
    struct range ram = {"RAM", 0, 0}, initrd = {"the initramfs", 0, 0};
    read_devicetree(fdt, &ram, &initrd);
    const struct range dtb = {"the devicetree", BOARD_RAM_BASE, BOARD_RAM_BASE + be32(fdt + 4)};
    const struct range loader = {"this loader", (uintptr_t)__image_start, (uintptr_t)__image_end};

    /* 1. The MMU on: RAM, then the loader's parts over it (only its code executable, only
     * its data writable), then the UART. */
    idmap_t *map = idmap_new_with_config(&el2_config);
    if (!map)
        die("idmap_new_with_config answered NULL");
    const uint64_t normal = IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID, xn = IDMAP_ATTR_XN;
    const struct {
        uint64_t start, end, flags;
    } parts[] = {
        {ram.start, ram.end, normal | xn},
        {loader.start, (uintptr_t)__text_end, normal | IDMAP_ATTR_READ_ONLY},
        {(uintptr_t)__text_end, (uintptr_t)__rodata_end, normal | IDMAP_ATTR_READ_ONLY | xn},
        {(uintptr_t)__rodata_end, loader.end, normal | xn},
        {BOARD_UART_BASE, BOARD_UART_BASE + 0x1000, IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_VALID | xn},
    };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        const idmap_region_t region = idmap_region(parts[i].start, parts[i].end);
        check(idmap_map_range(map, &region, parts[i].flags), map, "idmap_map_range");
    }
    idmap_preflight_t cpu = {0, 0, 0, true, 0, NULL, 0};
    check(idmap_preflight_read_cpu(&cpu), map, "idmap_preflight_read_cpu");
    check(idmap_enable_mmu_checked(map, &cpu), map, "idmap_enable_mmu_checked");
    bm_printf("MMU and caches on at EL2: RAM [0x%llx, 0x%llx), %zu table pages\n",
              (unsigned long long)ram.start, (unsigned long long)ram.end,
              idmap_table_count(map));

    /* 2. The kernel, text_offset above the first 2 MiB boundary past the loader. */
    const struct image_header *h = (const struct image_header *)(uintptr_t)LINUX_IMAGE_LOAD;
    if (h->magic != IMAGE_MAGIC)
        die("no arm64 Image at LINUX_IMAGE_LOAD (the -device loader's addr)");
    bm_printf("Image at 0x%llx: text_offset 0x%llx, image_size 0x%llx, flags 0x%llx\n",
              (unsigned long long)LINUX_IMAGE_LOAD, (unsigned long long)h->text_offset,
              (unsigned long long)h->image_size, (unsigned long long)h->flags);
    if (h->image_size == 0)
        die("image_size 0: a kernel older than 3.17, whose size the header does not give");
    if (h->flags & 1)
        die("a big-endian kernel");
    /* The header does not give the file's size: image_size bytes are copied (in words),
     * what lies past the file being the kernel's to clear (its BSS). */
    const uint64_t size = (h->image_size + 7) & ~7ULL;
    const uint64_t base = (loader.end + 2 * MIB - 1) & ~(2 * MIB - 1);
    const struct range kernel = {"the kernel", base + h->text_offset, base + h->text_offset + size};
    const struct range staged = {"the Image as loaded", LINUX_IMAGE_LOAD, LINUX_IMAGE_LOAD + size};
    const struct range taken[] = {dtb, loader, initrd, staged};
    check_clear(&kernel, &ram, taken, 4);
    check_clear(&initrd, &ram, taken, 2);
    check_clear(&staged, &ram, taken, 3);
    /* 8 bytes at a time (both 8-byte aligned): a byte loop over 32 MiB takes seconds in QEMU. */
    uint64_t *to = (uint64_t *)(uintptr_t)kernel.start;
    const uint64_t *from = (const uint64_t *)(uintptr_t)staged.start;
    for (uint64_t i = 0; i < size / 8; i++)
        to[i] = from[i];
    bm_printf("kernel at [0x%llx, 0x%llx), initramfs at [0x%llx, 0x%llx)\n",
              (unsigned long long)kernel.start, (unsigned long long)kernel.end,
              (unsigned long long)initrd.start, (unsigned long long)initrd.end);

    /* 3. Both in memory for a kernel that starts with its caches off. */
    idmap_clean_to_poc(kernel.start, kernel.end);
    idmap_clean_to_poc(initrd.start, initrd.end);

    /* 4. The MMU off, and Linux. */
    check(idmap_disable_mmu(map), map, "idmap_disable_mmu");
    bm_printf("MMU off; entering Linux at 0x%llx at EL2, x0 = devicetree 0x%llx\n\n",
              (unsigned long long)kernel.start, (unsigned long long)dtb.start);
    void (*entry)(uint64_t, uint64_t, uint64_t, uint64_t) =
        (void (*)(uint64_t, uint64_t, uint64_t, uint64_t))(uintptr_t)kernel.start;
    entry(dtb.start, 0, 0, 0);
    die("the kernel returned");
}
