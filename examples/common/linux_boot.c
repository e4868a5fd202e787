/*
 * linux_boot.c - the devicetree's RAM and initramfs, the program's EL2 map, and the
 * kernel's placement, for the programs that start Linux (linux_boot.h).
 */
#include "linux_boot.h"

#include "bm.h"
#include "board.h"
#include "fdt.h"

#define MIB (1024 * 1024ULL)
#define MAX_TAKEN 8

void linux_die(const char *what)
{
    bm_printf("error: %s\n", what);
    bm_exit(1);
}

void linux_check(idmap_status_t st, const idmap_t *map, const char *what)
{
    if (st == IDMAP_OK)
        return;
    char line[200];
    idmap_format_error(idmap_last_error(map), line, sizeof line);
    bm_printf("error: %s: %s\n", what, line);
    bm_exit(1);
}

/* EL2 with HCR_EL2.E2H = 0, as start.S leaves it: no ASID; root level 1, 512 GiB. */
static const idmap_config_t el2_config = {IDMAP_REGIME_EL2, IDMAP_VA_RANGE_LOWER, 0, 1, 0, NULL};

idmap_t *linux_el2_mmu_on(const struct range *ram)
{
    idmap_t *map = idmap_new_with_config(&el2_config);
    if (!map)
        linux_die("idmap_new_with_config answered NULL");
    const uint64_t normal = IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID, xn = IDMAP_ATTR_XN;
    const struct {
        uint64_t start, end, flags;
    } parts[] = {
        {ram->start, ram->end, normal | xn},
        {(uintptr_t)__image_start, (uintptr_t)__text_end, normal | IDMAP_ATTR_READ_ONLY},
        {(uintptr_t)__text_end, (uintptr_t)__rodata_end, normal | IDMAP_ATTR_READ_ONLY | xn},
        {(uintptr_t)__rodata_end, (uintptr_t)__image_end, normal | xn},
        {BOARD_UART_BASE, BOARD_UART_BASE + 0x1000, IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_VALID | xn},
    };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        const idmap_region_t region = idmap_region(parts[i].start, parts[i].end);
        linux_check(idmap_map_range(map, &region, parts[i].flags), map, "idmap_map_range");
    }
    idmap_preflight_t cpu = {0, 0, 0, true, 0, NULL, 0};
    linux_check(idmap_preflight_read_cpu(&cpu), map, "idmap_preflight_read_cpu");
    linux_check(idmap_enable_mmu_checked(map, &cpu), map, "idmap_enable_mmu_checked");
    bm_printf("MMU and caches on at EL2: RAM [0x%llx, 0x%llx), %zu table pages\n",
              (unsigned long long)ram->start, (unsigned long long)ram->end,
              idmap_table_count(map));
    return map;
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

void linux_read_devicetree(struct linux_boot *b, uint8_t *fdt)
{
    uint32_t len;
    if (fdt_be32(fdt) != FDT_MAGIC)
        linux_die("no devicetree at the start of RAM");
    b->fdt = fdt;
    b->dtb = (struct range){"the devicetree", (uintptr_t)fdt, (uintptr_t)fdt + fdt_size(fdt)};
    const uint8_t *reg = fdt_property(fdt, "memory", "reg", &len);
    if (!reg || len < 16)
        linux_die("the devicetree has no /memory reg");
    b->ram = (struct range){"RAM", fdt_be64(reg), fdt_be64(reg) + fdt_be64(reg + 8)};

    const char *args = (const char *)fdt_property(fdt, "chosen", "bootargs", &len);
    for (const char *p = args; p && *p; p++) {
        if ((p == args || p[-1] == ' ') && fdt_starts_with(p, "initrd=")) {
            p += 7;
            b->initrd.what = "the initramfs";
            b->initrd.start = parse_number(&p);
            if (*p++ != ',')
                break;
            b->initrd.end = b->initrd.start + parse_number(&p);
            bm_printf("bootargs: %s\n", args);
            return;
        }
    }
    linux_die("no initrd=ADDR,SIZE in /chosen/bootargs (QEMU's -append)");
}

/* Fails unless @r lies in RAM and overlaps none of @others. */
static void check_clear(const struct range *r, const struct range *ram,
                        const struct range *others, size_t n)
{
    if (r->start < ram->start || r->end > ram->end || r->end < r->start) {
        bm_printf("error: %s [0x%llx, 0x%llx) is not in RAM [0x%llx, 0x%llx)\n", r->what,
                  (unsigned long long)r->start, (unsigned long long)r->end,
                  (unsigned long long)ram->start, (unsigned long long)ram->end);
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

void linux_place_kernel(struct linux_boot *b, uint64_t image_addr, uint64_t lowest,
                        const struct range *others, size_t n)
{
    const struct image_header *h = (const struct image_header *)(uintptr_t)image_addr;
    if (h->magic != IMAGE_MAGIC)
        linux_die("no arm64 Image where the -device loader's addr should have put it");
    bm_printf("Image at 0x%llx: text_offset 0x%llx, image_size 0x%llx, flags 0x%llx\n",
              (unsigned long long)image_addr, (unsigned long long)h->text_offset,
              (unsigned long long)h->image_size, (unsigned long long)h->flags);
    if (h->image_size == 0)
        linux_die("image_size 0: a kernel older than 3.17, whose size the header does not give");
    if (h->flags & 1)
        linux_die("a big-endian kernel");
    if (n > MAX_TAKEN - 3)
        linux_die("linux_place_kernel: too many ranges to keep clear");
    /* The header does not give the file's size: image_size bytes are copied (in words),
     * what lies past the file being the kernel's to clear (its BSS). */
    const uint64_t size = (h->image_size + 7) & ~7ULL;
    const uint64_t base = (lowest + 2 * MIB - 1) & ~(2 * MIB - 1);
    b->kernel = (struct range){"the kernel", base + h->text_offset, base + h->text_offset + size};
    const struct range staged = {"the Image as loaded", image_addr, image_addr + size};
    /* taken: the devicetree, @others, the initramfs, the staged Image. */
    struct range taken[MAX_TAKEN];
    taken[0] = b->dtb;
    for (size_t i = 0; i < n; i++)
        taken[1 + i] = others[i];
    taken[1 + n] = b->initrd;
    taken[2 + n] = staged;
    check_clear(&b->kernel, &b->ram, taken, n + 3);
    check_clear(&b->initrd, &b->ram, taken, n + 1);
    check_clear(&staged, &b->ram, taken, n + 2);
    /* 8 bytes at a time (both 8-byte aligned): a byte loop over 32 MiB takes seconds in QEMU. */
    uint64_t *to = (uint64_t *)(uintptr_t)b->kernel.start;
    const uint64_t *from = (const uint64_t *)(uintptr_t)staged.start;
    for (uint64_t i = 0; i < size / 8; i++)
        to[i] = from[i];
    bm_printf("kernel at [0x%llx, 0x%llx), initramfs at [0x%llx, 0x%llx)\n",
              (unsigned long long)b->kernel.start, (unsigned long long)b->kernel.end,
              (unsigned long long)b->initrd.start, (unsigned long long)b->initrd.end);

    idmap_clean_to_poc(b->kernel.start, b->kernel.end);
    idmap_clean_to_poc(b->initrd.start, b->initrd.end);
    idmap_clean_to_poc(b->dtb.start, b->dtb.end);
}
