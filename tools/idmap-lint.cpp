// idmap-lint: lints a raw translation table image (stage 1 or 2, 4 KiB granule) on the host.
//
//   idmap-lint [options] IMAGE BASE ROOT LEVEL REGIME
//
//   IMAGE    a file holding table pages as they lie in memory from physical address BASE
//   BASE     the physical address of the file's first byte (page-aligned)
//   ROOT     the physical address of the root table (inside the image)
//   LEVEL    the root table's level, 0 to 3
//   REGIME   el1 (EL1&0), el2, el20 (EL2&0), el3, s2 (stage 2: ROOT an IPA space's)
//   options  --bti (bit 50 is GP), --bbm (bit 16 of blocks is nT),
//            --xnx (stage 2: bit 53 is XN[0]),
//            --root-tables=N (stage 2: the root is N concatenated tables, 2 to 16),
//            --structure or --wx (one kind of check; both by default)
//
// Prints one line per finding (idmap_lint_finding_text) and a summary on stderr. Exit
// status: 0 no finding, 1 findings, 2 bad usage or an image it cannot read.
// Built by the Makefile as build/host/tools/idmap-lint, with the host libidmap.a.
#include <idmap.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

int usage(const char* why) {
    std::fprintf(stderr,
                 "idmap-lint: %s\n"
                 "usage: idmap-lint [--bti] [--bbm] [--xnx] [--root-tables=N] [--structure|--wx]"
                 " IMAGE BASE ROOT LEVEL REGIME\n"
                 "  REGIME: el1 (EL1&0), el2, el20 (EL2&0), el3, s2 (stage 2)\n",
                 why);
    return 2;
}

bool number(const char* text, uint64_t& value) {
    char* end = nullptr;
    errno = 0;
    value = std::strtoull(text, &end, 0);
    return errno == 0 && end != text && *end == '\0';
}

bool regime_of(const std::string& name, idmap_regime_t& regime) {
    if (name == "el1" || name == "el1&0" || name == "el10") {
        regime = IDMAP_REGIME_EL1_0;
    } else if (name == "el2") {
        regime = IDMAP_REGIME_EL2;
    } else if (name == "el20" || name == "el2&0") {
        regime = IDMAP_REGIME_EL2_0;
    } else if (name == "el3") {
        regime = IDMAP_REGIME_EL3;
    } else if (name == "s2" || name == "stage2") {
        regime = IDMAP_REGIME_STAGE2;
    } else {
        return false;
    }
    return true;
}

// The whole file, in 64-bit words (the linter reads descriptors as such).
bool read_image(const char* path, std::vector<uint64_t>& words, uint64_t& bytes) {
    FILE* f = std::fopen(path, "rb");
    if (f == nullptr) {
        return false;
    }
    std::vector<unsigned char> data;
    unsigned char chunk[65536];
    size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) {
        data.insert(data.end(), chunk, chunk + n);
    }
    const bool ok = std::ferror(f) == 0;
    std::fclose(f);
    bytes = data.size();
    words.assign((data.size() + 7) / 8, 0);
    if (!data.empty()) {
        std::memcpy(words.data(), data.data(), data.size());
    }
    return ok;
}

}  // namespace

int main(int argc, char** argv) {
    idmap_lint_options_t options{};
    uint64_t root_tables = 1;
    std::vector<const char*> args;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--bti") {
            options.features |= IDMAP_LINT_FEATURE_BTI;
        } else if (a == "--bbm") {
            options.features |= IDMAP_LINT_FEATURE_BBM;
        } else if (a == "--xnx") {
            options.features |= IDMAP_LINT_FEATURE_XNX;
        } else if (a.compare(0, 14, "--root-tables=") == 0) {
            if (!number(argv[i] + 14, root_tables) || root_tables == 0 || root_tables > 16 ||
                (root_tables & (root_tables - 1)) != 0) {
                return usage("--root-tables must be 1, 2, 4, 8 or 16");
            }
        } else if (a == "--structure") {
            options.checks = IDMAP_LINT_CHECK_STRUCTURE;
        } else if (a == "--wx") {
            options.checks = IDMAP_LINT_CHECK_WX_ALIASES;
        } else if (a.size() > 1 && a[0] == '-' && a[1] == '-') {
            return usage(("unknown option " + a).c_str());
        } else {
            args.push_back(argv[i]);
        }
    }
    if (args.size() != 5) {
        return usage("expected IMAGE BASE ROOT LEVEL REGIME");
    }
    uint64_t base = 0;
    uint64_t root = 0;
    uint64_t level = 0;
    idmap_regime_t regime = IDMAP_REGIME_EL1_0;
    if (!number(args[1], base) || (base & 0xfff) != 0) {
        return usage("BASE must be a page-aligned number");
    }
    if (!number(args[2], root) || !number(args[3], level) || level > 3) {
        return usage("ROOT must be a number, LEVEL 0 to 3");
    }
    if (!regime_of(args[4], regime)) {
        return usage("REGIME must be el1, el2, el20, el3 or s2");
    }
    if (root_tables > 1 && regime != IDMAP_REGIME_STAGE2) {
        return usage("--root-tables is for stage 2 (REGIME s2)");
    }
    std::vector<uint64_t> image;
    uint64_t bytes = 0;
    if (!read_image(args[0], image, bytes)) {
        std::fprintf(stderr, "idmap-lint: cannot read %s: %s\n", args[0], std::strerror(errno));
        return 2;
    }

    const idmap_lint_pool_t pool{base, bytes, image.data()};
    idmap_lint_tree_t tree{};
    tree.root = root;
    tree.root_level = static_cast<unsigned>(level);
    tree.regime = regime;
    tree.pools = &pool;
    tree.pool_count = 1;
    tree.root_tables = static_cast<unsigned>(root_tables);

    // Tables fit in 2 words per page of the image; runs need more only for big maps: grow
    // to what the linter says it needs (exact once the tables fit).
    std::vector<uint64_t> scratch(IDMAP_LINT_SCRATCH_WORDS(bytes / 4096 + 1, 4096));
    std::vector<idmap_lint_finding_t> findings;
    idmap_lint_report_t report{};
    idmap_status_t st = IDMAP_OK;
    for (;;) {
        options.scratch = scratch.data();
        options.scratch_words = scratch.size();
        st = idmap_lint_raw(&tree, 1, &options, findings.data(), findings.size(), &report);
        if (st == IDMAP_ERR_OUT_OF_MEMORY && report.scratch_words > scratch.size()) {
            scratch.resize(report.scratch_words);
            continue;
        }
        if (st == IDMAP_OK && report.findings > findings.size()) {
            findings.resize(report.findings);
            continue;
        }
        break;
    }
    if (st == IDMAP_ERR_INVALID_ARGUMENT) {
        std::fprintf(stderr,
                     "idmap-lint: the root 0x%llx (%llu table%s) is not aligned to its size, not in the image "
                     "[0x%llx, 0x%llx), or resolves more than 48 bits from level %llu\n",
                     static_cast<unsigned long long>(root), static_cast<unsigned long long>(root_tables),
                     root_tables == 1 ? "" : "s", static_cast<unsigned long long>(base),
                     static_cast<unsigned long long>(base + bytes), static_cast<unsigned long long>(level));
        return 2;
    }
    if (st != IDMAP_OK) {
        std::fprintf(stderr, "idmap-lint: %s\n", idmap_status_str(st));
        return 2;
    }
    for (const idmap_lint_finding_t& f : findings) {
        const size_t n = idmap_lint_finding_text(&f, nullptr, 0);
        std::string line(n + 1, '\0');
        idmap_lint_finding_text(&f, &line[0], line.size());
        line.resize(n);
        std::printf("%s\n", line.c_str());
    }
    std::fprintf(stderr, "idmap-lint: %zu finding%s, %zu table%s, %zu run%s of writable or executable leaves\n",
                 report.findings, report.findings == 1 ? "" : "s", report.tables, report.tables == 1 ? "" : "s",
                 report.runs, report.runs == 1 ? "" : "s");
    return report.findings == 0 ? 0 : 1;
}
