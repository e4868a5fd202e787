// host_check.cpp - host checks of idmap-image (tools/idmap-image/):
//
//   host_check sha256                    SHA-256 against the FIPS 180-4 examples
//   host_check tables MEMMAP [IMAGE.bin]  the tool's tables against the library's
//   host_check xml FILE.svg              the SVG is well-formed XML
//
// "tables" builds the map three ways and wants the same bytes from each:
//   - the tool's way: the core on host pages, table descriptors rewritten afterwards
//     (build_tables; and IMAGE.bin, what the idmap-image binary wrote, when given);
//   - the runtime library's: libidmap.a's C ABI given the same lines, with its table pages
//     handed out in order at the physical addresses themselves (mmap there: on the host
//     a page's physical address is its pointer), so that the library writes the final
//     addresses itself, as it does on the target.
// Then the relocatable image, relocated to several bases, against the library building
// at each. A base the host cannot map is skipped, said so. Prints one line per check,
// then "N passed, M failed, K skipped"; exit status 0 iff none failed.
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <string>
#include <vector>

#include "idmap.h"
#include "memmap.hpp"
#include "sha256.hpp"
#include "tables.hpp"

using namespace idmap_image;

namespace {

int passes = 0, failures = 0, skips = 0;

void check(bool ok, const std::string& what) {
    printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
    (ok ? passes : failures) += 1;
}

// A check that cannot run here: the host cannot map the tables at base.
void skip_unmappable(const std::string& name, const std::string& base) {
    printf("skip %s: the host cannot map %s\n", name.c_str(), base.c_str());
    ++skips;
}

std::string hex(uint64_t v) {
    char buf[24];
    snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

// ---- SHA-256: the examples of FIPS 180-4's appendix (NIST's "SHA256.pdf"), and the
// million-'a' message.

void check_sha256() {
    const struct {
        std::string message;
        const char* digest;
    } cases[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
         "klmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
        {std::string(1000000, 'a'), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
    };
    for (const auto& c : cases) {
        const auto* data = reinterpret_cast<const uint8_t*>(c.message.data());
        check(to_hex(sha256(data, c.message.size())) == c.digest,
              "sha256 of a " + std::to_string(c.message.size()) + "-byte message");
    }
}

// ---- The runtime library (libidmap.a's C ABI), its pages at the physical addresses.

// Hands out count pages from base in order, as the target's test allocator does.
struct InOrder {
    uint8_t* base;
    size_t count;
    size_t used = 0;
    static void* alloc(void* ctx) {
        auto* a = static_cast<InOrder*>(ctx);
        return a->used < a->count ? a->base + kPageSize * a->used++ : nullptr;
    }
    static void release(void*, void*) {}
};

// The map's tables as libidmap.a writes them with page i at pa + i * 4 KiB: on the host
// a table's physical address is its pointer, so the pages are mapped at pa itself. False
// (skipped) when the host cannot map [pa, pa + max-pages * 4 KiB): in use, or below the
// lowest address a program may map. bytes is empty if the library refused the map.
bool runtime_build(const MemoryMap& map, uint64_t pa, std::vector<uint8_t>& bytes) {
    bytes.clear();
    const size_t len = map.max_pages * kPageSize;
    void* want = reinterpret_cast<void*>(static_cast<uintptr_t>(pa));
    void* got = mmap(want, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (got == MAP_FAILED) {
        return false;
    }
    if (got != want) {
        munmap(got, len);  // a kernel older than MAP_FIXED_NOREPLACE took it as a hint
        return false;
    }
    InOrder source{static_cast<uint8_t*>(got), map.max_pages};
    const idmap_allocator_t allocator{&InOrder::alloc, &InOrder::release, &source};
    const idmap_config_t config{
        static_cast<idmap_regime_t>(map.regime), IDMAP_VA_RANGE_LOWER, map.asid, map.root_level, 0, &allocator};
    idmap_t* m = idmap_new_with_config(&config);
    bool ok = m != nullptr;
    for (size_t i = 0; ok && i < map.regions.size(); ++i) {
        const Region& r = map.regions[i];
        const idmap_region_t region = idmap_region(r.start, r.end);
        ok = idmap_map_range_with_constraints(m, &region, r.flags, r.constraints) == IDMAP_OK;
    }
    if (ok) {
        bytes.assign(static_cast<uint8_t*>(got), static_cast<uint8_t*>(got) + source.used * kPageSize);
    }
    idmap_free(m);
    munmap(got, len);
    return true;
}

bool read_file(const char* path, std::vector<uint8_t>& bytes) {
    FILE* f = fopen(path, "rb");
    if (f == nullptr) {
        return false;
    }
    uint8_t buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        bytes.insert(bytes.end(), buf, buf + n);
    }
    fclose(f);
    return true;
}

void check_tables(const char* path, const char* bin) {
    MemoryMap map;
    std::string error;
    if (!read_memmap(path, map, error)) {
        check(false, error);
        return;
    }
    const std::string name = map.board.empty() ? path : map.board;
    TableImage absolute;
    if (!build_tables(map, false, absolute, error)) {
        check(false, name + ": " + error);
        return;
    }
    const std::vector<uint8_t> tool = absolute.bytes();
    if (bin != nullptr) {
        std::vector<uint8_t> written;
        check(read_file(bin, written) && written == tool, name + ": " + bin + " = the tool's image");
    }
    std::vector<uint8_t> runtime;
    const std::string pages = " (" + std::to_string(absolute.pages()) + " pages)";
    if (runtime_build(map, map.tables_base, runtime)) {
        check(runtime == tool,
              name + ": tool's image = libidmap.a's with its pages at " + hex(map.tables_base) + pages);
    } else {
        skip_unmappable(name, hex(map.tables_base));
    }

    TableImage relocatable;
    if (!build_tables(map, true, relocatable, error)) {
        check(false, name + " (relocatable): " + error);
        return;
    }
    check(relocatable.relocs.size() == relocatable.pages() - 1,
          name + ": one relocation per table but the root (" + std::to_string(relocatable.relocs.size()) + ")");
    // Bases the host can usually map (nothing of the program's is there), each aligned
    // differently.
    const uint64_t bases[] = {map.tables_base, 0x10000000, 0x123456000, 0x7f0000000000 - 0x200000};
    unsigned compared = 0;
    for (uint64_t base : bases) {
        std::vector<uint8_t> moved = relocatable.bytes();
        relocate(moved, relocatable.relocs, base);
        if (!runtime_build(map, base, runtime)) {
            skip_unmappable(name, hex(base));
            continue;
        }
        ++compared;
        check(moved == runtime,
              name + ": relocatable image relocated to " + hex(base) + " = libidmap.a's at " + hex(base));
    }
    check(compared != 0, name + ": the relocatable image compared at some base");
}

// ---- XML well-formedness, as much as an SVG needs: one root element, tags nested and
// closed, attributes quoted, no stray '<' or '&' in text.

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == ':' || c == '.';
}

bool entity_ok(const std::string& s, size_t& i) {
    static const char* const named[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    for (const char* e : named) {
        if (s.compare(i, strlen(e), e) == 0) {
            i += strlen(e);
            return true;
        }
    }
    size_t j = i + 1;
    if (j < s.size() && s[j] == '#') {
        ++j;
        const size_t digits = j;
        while (j < s.size() && ((s[j] >= '0' && s[j] <= '9') || s[j] == 'x')) {
            ++j;
        }
        if (j > digits && j < s.size() && s[j] == ';') {
            i = j + 1;
            return true;
        }
    }
    return false;
}

bool well_formed(const std::string& s, std::string& why) {
    std::vector<std::string> open;
    bool had_root = false;
    size_t i = 0;
    while (i < s.size()) {
        if (s[i] == '&') {
            if (!entity_ok(s, i)) {
                why = "bad entity at " + std::to_string(i);
                return false;
            }
            continue;
        }
        if (s[i] != '<') {
            if (open.empty() && s[i] != ' ' && s[i] != '\n' && s[i] != '\t' && s[i] != '\r') {
                why = "text outside the root at " + std::to_string(i);
                return false;
            }
            ++i;
            continue;
        }
        if (s.compare(i, 2, "<?") == 0 || s.compare(i, 4, "<!--") == 0) {
            const size_t end = s.find(s[i + 1] == '?' ? "?>" : "-->", i);
            if (end == std::string::npos) {
                why = "unterminated declaration or comment";
                return false;
            }
            i = end + 2;
            continue;
        }
        const bool closing = i + 1 < s.size() && s[i + 1] == '/';
        size_t j = i + (closing ? 2 : 1);
        const size_t name_start = j;
        while (j < s.size() && is_name_char(s[j])) {
            ++j;
        }
        const std::string name = s.substr(name_start, j - name_start);
        if (name.empty()) {
            why = "tag without a name at " + std::to_string(i);
            return false;
        }
        if (closing) {
            if (open.empty() || open.back() != name || j >= s.size() || s[j] != '>') {
                why = "</" + name + "> does not close the open element";
                return false;
            }
            open.pop_back();
            i = j + 1;
            continue;
        }
        if (open.empty() && had_root) {
            why = "a second root element <" + name + ">";
            return false;
        }
        // Attributes: name="value" or name='value', separated by white space.
        for (;;) {
            while (j < s.size() && (s[j] == ' ' || s[j] == '\n' || s[j] == '\t')) {
                ++j;
            }
            if (j < s.size() && (s[j] == '>' || s.compare(j, 2, "/>") == 0)) {
                break;
            }
            const size_t attr = j;
            while (j < s.size() && is_name_char(s[j])) {
                ++j;
            }
            if (j == attr || j + 1 >= s.size() || s[j] != '=' || (s[j + 1] != '"' && s[j + 1] != '\'')) {
                why = "bad attribute in <" + name + "> at " + std::to_string(attr);
                return false;
            }
            const char quote = s[j + 1];
            const size_t end = s.find(quote, j + 2);
            if (end == std::string::npos || s.substr(j + 2, end - j - 2).find('<') != std::string::npos) {
                why = "bad attribute value in <" + name + ">";
                return false;
            }
            for (size_t k = j + 2; k < end;) {
                if (s[k] == '&' && !entity_ok(s, k)) {
                    why = "bad entity in an attribute of <" + name + ">";
                    return false;
                }
                k += s[k] == '&' ? 0 : 1;
            }
            j = end + 1;
        }
        had_root = true;
        if (s[j] == '/') {
            i = j + 2;
        } else {
            open.push_back(name);
            i = j + 1;
        }
    }
    if (!open.empty() || !had_root) {
        why = open.empty() ? "no root element" : "<" + open.back() + "> is not closed";
        return false;
    }
    return true;
}

void check_xml(const char* path) {
    std::vector<uint8_t> bytes;
    if (!read_file(path, bytes)) {
        check(false, std::string(path) + ": cannot read");
        return;
    }
    const std::string text(bytes.begin(), bytes.end());
    std::string why;
    const bool ok = well_formed(text, why) && text.compare(0, 4, "<svg") == 0;
    check(ok, std::string(path) + ": well-formed SVG" + (why.empty() ? "" : ": " + why));
}

}  // namespace

int main(int argc, char** argv) {
    const std::string what = argc > 1 ? argv[1] : "";
    if (what == "sha256" && argc == 2) {
        check_sha256();
    } else if (what == "tables" && (argc == 3 || argc == 4)) {
        check_tables(argv[2], argc == 4 ? argv[3] : nullptr);
    } else if (what == "xml" && argc == 3) {
        check_xml(argv[2]);
    } else {
        fprintf(stderr, "usage: host_check sha256 | tables MEMMAP [IMAGE.bin] | xml FILE.svg\n");
        return 2;
    }
    printf("%d passed, %d failed, %d skipped\n", passes, failures, skips);
    return failures == 0 ? 0 : 1;
}
