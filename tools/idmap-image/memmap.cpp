// memmap.cpp - the memory map file's parser (the format: memmap.hpp).
#include "memmap.hpp"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sstream>

#include "idmap.h"

namespace idmap_image {

namespace {

constexpr uint64_t kPage = 4096;

// A number: decimal or 0x-hex, then an optional K, M or G. False if malformed or past
// 2^64.
bool parse_number(const std::string& word, uint64_t& value) {
    size_t i = 0;
    unsigned base = 10;
    if (word.size() > 2 && word[0] == '0' && (word[1] == 'x' || word[1] == 'X')) {
        base = 16;
        i = 2;
    }
    uint64_t v = 0;
    size_t digits = 0;
    for (; i < word.size(); ++i, ++digits) {
        const char c = word[i];
        unsigned d;
        if (c >= '0' && c <= '9') {
            d = static_cast<unsigned>(c - '0');
        } else if (base == 16 && c >= 'a' && c <= 'f') {
            d = static_cast<unsigned>(c - 'a' + 10);
        } else if (base == 16 && c >= 'A' && c <= 'F') {
            d = static_cast<unsigned>(c - 'A' + 10);
        } else {
            break;
        }
        if (v > (UINT64_MAX - d) / base) {
            return false;
        }
        v = v * base + d;
    }
    if (digits == 0) {
        return false;
    }
    unsigned shift = 0;
    if (i + 1 == word.size()) {
        switch (word[i]) {
        case 'K': shift = 10; break;
        case 'M': shift = 20; break;
        case 'G': shift = 30; break;
        default: return false;
        }
    } else if (i != word.size()) {
        return false;
    }
    if (shift != 0 && v > (UINT64_MAX >> shift)) {
        return false;
    }
    value = v << shift;
    return true;
}

std::string at_line(unsigned line, const std::string& what) {
    return "line " + std::to_string(line) + ": " + what;
}

// The words of a map line after start and end: the region's flags and constraints.
// xn is resolved once the regime is known (parse_memmap's end).
struct Words {
    unsigned type = 0, access = 0, exec = 0;  // how many of each group were given
    bool xn = false;
};

bool parse_attribute(const std::string& w, Region& r, Words& seen, std::string& error) {
    if (w == "normal" || w == "device") {
        ++seen.type;
        r.flags |= w == "normal" ? IDMAP_ATTR_NORMAL : IDMAP_ATTR_DEVICE_NGNRE;
    } else if (w == "ro" || w == "rw") {
        ++seen.access;
        r.flags |= w == "ro" ? IDMAP_ATTR_READ_ONLY : 0;
    } else if (w == "x" || w == "xn") {
        ++seen.exec;
        seen.xn = w == "xn";
    } else if (w == "pxn") {
        r.flags |= IDMAP_ATTR_PXN;
    } else if (w == "uxn") {
        r.flags |= IDMAP_ATTR_UXN;
    } else if (w == "ng") {
        r.flags |= IDMAP_ATTR_NON_GLOBAL;
    } else if (w == "user") {
        r.flags |= IDMAP_ATTR_USER;
    } else if (w == "ns") {
        r.flags |= IDMAP_ATTR_NS;
    } else if (w == "pages") {
        r.constraints |= IDMAP_NO_BLOCK_MAPPINGS;
    } else if (w.compare(0, 5, "name=") == 0 && w.size() > 5) {
        r.name = w.substr(5);
    } else {
        error = at_line(r.line, "unknown attribute '" + w + "'");
        return false;
    }
    return true;
}

bool parse_map(std::istringstream& in, Region& r, Words& seen, std::string& error) {
    std::string start, end, w;
    if (!(in >> start >> end)) {
        error = at_line(r.line, "map needs <start> <end> <attributes...>");
        return false;
    }
    uint64_t size = 0;
    if (!parse_number(start, r.start) ||
        (end[0] == '+' ? !parse_number(end.substr(1), size) : !parse_number(end, r.end))) {
        error = at_line(r.line, "bad address '" + (parse_number(start, r.start) ? end : start) + "'");
        return false;
    }
    if (end[0] == '+') {
        if (size > UINT64_MAX - r.start) {
            error = at_line(r.line, "region past 2^64");
            return false;
        }
        r.end = r.start + size;
    }
    if (r.start % kPage != 0 || r.end % kPage != 0) {
        error = at_line(r.line, "start and end must be 4 KiB aligned");
        return false;
    }
    if (r.end <= r.start) {
        error = at_line(r.line, "empty or backwards region");
        return false;
    }
    r.flags = IDMAP_ATTR_VALID;
    while (in >> w) {
        if (!parse_attribute(w, r, seen, error)) {
            return false;
        }
    }
    if (seen.type != 1 || seen.access != 1 || seen.exec != 1) {
        error = at_line(r.line,
                        "a map line needs exactly one of normal|device, one of ro|rw "
                        "and one of x|xn");
        return false;
    }
    return true;
}

}  // namespace

const char* regime_name(Regime r) {
    switch (r) {
    case Regime::El1: return "el1";
    case Regime::El2: return "el2";
    case Regime::El20: return "el20";
    case Regime::El3: return "el3";
    }
    return "?";
}

bool parse_memmap(const std::string& text, MemoryMap& map, std::string& error) {
    map = MemoryMap{};
    std::istringstream lines(text);
    std::string line;
    std::vector<bool> xn;
    bool have_tables = false;
    for (unsigned number = 1; std::getline(lines, line); ++number) {
        line = line.substr(0, line.find('#'));
        std::istringstream in(line);
        std::string keyword, a, b, extra;
        if (!(in >> keyword)) {
            continue;
        }
        if (keyword == "map") {
            Region r;
            Words seen;
            r.line = number;
            if (!parse_map(in, r, seen, error)) {
                return false;
            }
            map.regions.push_back(r);
            xn.push_back(seen.xn);
            continue;
        }
        if (keyword != "board" && keyword != "tables" && keyword != "root_level" && keyword != "regime" &&
            keyword != "asid") {
            error = at_line(number, "unknown statement '" + keyword + "'");
            return false;
        }
        // Every other statement has one or two arguments.
        const unsigned wanted = keyword == "tables" ? 2 : 1;
        in >> a;
        if (wanted == 2) {
            in >> b;
        }
        if (a.empty() || (wanted == 2 && b.empty()) || (in >> extra)) {
            error = at_line(number, "'" + keyword + "' takes " + (wanted == 2 ? "two arguments" : "one argument"));
            return false;
        }
        uint64_t value = 0;
        if (keyword == "board") {
            map.board = a;
        } else if (keyword == "tables") {
            if (!parse_number(a, map.tables_base) || !parse_number(b, map.max_pages) || map.tables_base % kPage != 0 ||
                map.max_pages == 0 || map.max_pages > (uint64_t{1} << 36) - map.tables_base / kPage) {
                error = at_line(number, "tables <base-pa, 4 KiB aligned> <max-pages, at least 1>");
                return false;
            }
            have_tables = true;
        } else if (keyword == "root_level") {
            if (!parse_number(a, value) || value > 3) {
                error = at_line(number, "root_level is 0, 1, 2 or 3");
                return false;
            }
            map.root_level = static_cast<unsigned>(value);
        } else if (keyword == "regime") {
            static const Regime regimes[] = {Regime::El1, Regime::El2, Regime::El20, Regime::El3};
            bool known = false;
            for (Regime r : regimes) {
                if (a == regime_name(r)) {
                    map.regime = r;
                    known = true;
                }
            }
            if (!known) {
                error = at_line(number, "regime is el1, el2, el20 or el3");
                return false;
            }
        } else {  // asid
            if (!parse_number(a, map.asid) || map.asid > 0xffff) {
                error = at_line(number, "asid is 0 to 65535");
                return false;
            }
        }
    }
    if (!have_tables) {
        error = "no 'tables <base-pa> <max-pages>' line";
        return false;
    }
    // xn is both PXN and UXN where there are two, the one XN bit elsewhere.
    const uint64_t xn_bits = has_el0(map.regime) ? IDMAP_ATTR_EXECUTE_NEVER : IDMAP_ATTR_XN;
    for (size_t i = 0; i < map.regions.size(); ++i) {
        if (xn[i]) {
            map.regions[i].flags |= xn_bits;
        }
    }
    return true;
}

bool read_memmap(const char* path, MemoryMap& map, std::string& error) {
    FILE* f = fopen(path, "rb");
    if (f == nullptr) {
        error = std::string(path) + ": " + strerror(errno);
        return false;
    }
    std::string text;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        text.append(buf, n);
    }
    fclose(f);
    if (!parse_memmap(text, map, error)) {
        error = std::string(path) + ": " + error;
        return false;
    }
    return true;
}

}  // namespace idmap_image
