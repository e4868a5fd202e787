// svg.cpp - draws a memory map's address space (svg.hpp says what the picture shows).
#include "svg.hpp"

#include <stdio.h>

#include "idmap.h"
#include "put.hpp"

namespace idmap_image {

namespace {

using ull = unsigned long long;


std::string escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        default: out += c;
        }
    }
    return out;
}

// "2 MiB", "1.9 MiB": in the largest unit it has one of, to a tenth where not exact.
std::string size_text(uint64_t size) {
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    unsigned u = 0;
    while (u < 4 && size >> (10 * (u + 1)) != 0) {
        ++u;
    }
    const uint64_t unit = uint64_t{1} << (10 * u);
    if (size % unit == 0) {
        return std::to_string(size / unit) + " " + units[u];
    }
    const uint64_t tenths = size * 10 / unit;  // sizes below 2^60: no overflow
    return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " " + units[u];
}

unsigned log2_of(uint64_t v) {
    unsigned n = 0;
    while (v > 1) {
        v >>= 1;
        ++n;
    }
    return n;
}

// How a leaf's bits read: the words of the memory map, and the colour of the legend.
struct Kind {
    bool normal, ro, exec;
    const char* colour;
    const char* legend;
};

Kind kind_of(uint64_t flags, Regime regime) {
    const bool normal = ((flags >> 2) & 7) == 1;
    const bool ro = (flags & IDMAP_ATTR_READ_ONLY) != 0;
    const bool exec = (flags & (has_el0(regime) ? IDMAP_ATTR_PXN : IDMAP_ATTR_XN)) == 0;
    if (exec && !ro) {
        return {normal, ro, exec, "#c0392b", "writable and executable"};
    }
    if (!normal) {
        return {normal, ro, exec, exec ? "#c0392b" : "#e67e22", "Device-nGnRE"};
    }
    if (exec) {
        return {normal, ro, exec, "#27ae60", "Normal, read-only, executable"};
    }
    return ro ? Kind{normal, ro, exec, "#85c1e9", "Normal, read-only, execute-never"}
              : Kind{normal, ro, exec, "#2e6fba", "Normal, read-write, execute-never"};
}

std::string describe(uint64_t flags, Regime regime) {
    const Kind k = kind_of(flags, regime);
    std::string s = k.normal ? "normal" : "device";
    s += k.ro ? " ro" : " rw";
    s += k.exec ? " x" : " xn";
    if (has_el0(regime)) {
        if ((flags & IDMAP_ATTR_USER) != 0) {
            s += " user";
        }
        if ((flags & IDMAP_ATTR_NON_GLOBAL) != 0) {
            s += " ng";
        }
        // One of the two execute-never bits alone is worth saying.
        const uint64_t xn = flags & IDMAP_ATTR_EXECUTE_NEVER;
        if (xn == IDMAP_ATTR_PXN || xn == IDMAP_ATTR_UXN) {
            s += xn == IDMAP_ATTR_PXN ? " pxn" : " uxn";
        }
    }
    if ((flags & IDMAP_ATTR_NS) != 0) {
        s += " ns";
    }
    return s;
}

// The name of the last map line that covers address: the one whose attributes it has.
std::string name_at(const MemoryMap& map, uint64_t address) {
    std::string name;
    for (const Region& r : map.regions) {
        if (r.start <= address && address < r.end) {
            name = r.name;
        }
    }
    return name;
}

const char* const kRegimeTitles[] = {"EL1&amp;0", "EL2", "EL2&amp;0", "EL3"};

constexpr int kWidth = 960;
constexpr int kBarX = 330;
constexpr int kBarMax = 330;

}  // namespace

std::string svg_picture(const MemoryMap& map, const TableImage& image, const Sha256Digest& digest) {
    const uint64_t space = space_size(map.root_level);
    // Rows: each run of leaves, and the gaps between them.
    struct Row {
        uint64_t start, end;
        const LeafRun* run;  // nullptr: unmapped
    };
    std::vector<Row> rows;
    uint64_t at = 0;
    for (const LeafRun& run : image.leaves) {
        if (run.start > at) {
            rows.push_back({at, run.start, nullptr});
        }
        rows.push_back({run.start, run.end, &run});
        at = run.end;
    }
    if (at < space) {
        rows.push_back({at, space, nullptr});
    }
    const int row_h = 26, gap_h = 18, top = 74;
    int height = top;
    for (const Row& r : rows) {
        height += r.run != nullptr ? row_h : gap_h;
    }
    const int tables_per_row = 6, box_w = 148, box_h = 40;
    const int table_rows = static_cast<int>((image.pages() + tables_per_row - 1) / tables_per_row);
    const int tables_top = height + 84;
    const int legend_top = tables_top + table_rows * (box_h + 8) + 16;
    height = legend_top + 84;

    std::string out;
    put(out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
        "font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">\n",
        kWidth, height, kWidth, height);
    put(out, "<title>%s address space: identity map, %s</title>\n",
        escape(map.board.empty() ? "memory map" : map.board).c_str(), kRegimeTitles[static_cast<unsigned>(map.regime)]);
    // Pages are drawn over their colour with thin white stripes.
    put(out,
        "<defs><pattern id=\"pages\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\">"
        "<path d=\"M0,6 L6,0\" stroke=\"#ffffff\" stroke-width=\"1.2\" opacity=\"0.7\"/></pattern></defs>\n");
    put(out, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", kWidth, height);
    put(out,
        "<text x=\"12\" y=\"24\" font-size=\"17\" font-weight=\"bold\">%s: identity map, %s, root level %u (%s), ASID "
        "%llu</text>\n",
        escape(map.board.empty() ? "memory map" : map.board).c_str(), kRegimeTitles[static_cast<unsigned>(map.regime)],
        map.root_level, size_text(space).c_str(), static_cast<ull>(map.asid));
    put(out,
        "<text x=\"12\" y=\"44\">%zu table page%s (%s) at 0x%llx, built by the library's core at build time; "
        "%zu map line%s</text>\n",
        image.pages(), image.pages() == 1 ? "" : "s", size_text(image.pages() * kPageSize).c_str(),
        static_cast<ull>(image.base), map.regions.size(), map.regions.size() == 1 ? "" : "s");
    put(out,
        "<text x=\"12\" y=\"66\" font-weight=\"bold\">address range</text>"
        "<text x=\"250\" y=\"66\" font-weight=\"bold\">size</text>"
        "<text x=\"%d\" y=\"66\" font-weight=\"bold\">mapping (bar width: log of the size)</text>\n",
        kBarX);

    int y = top;
    const unsigned min_log = 12u, max_log = log2_of(space);
    for (const Row& r : rows) {
        const int h = r.run != nullptr ? row_h : gap_h;
        const uint64_t size = r.end - r.start;
        const int w =
            24 + static_cast<int>(kBarMax * (log2_of(size) - min_log) / (max_log > min_log ? max_log - min_log : 1));
        put(out,
            "<text x=\"12\" y=\"%d\" font-family=\"DejaVu Sans Mono, monospace\" font-size=\"11\"%s>"
            "0x%010llx-0x%010llx</text><text x=\"250\" y=\"%d\"%s>%s</text>\n",
            y + h - 8, r.run != nullptr ? "" : " fill=\"#999999\"", static_cast<ull>(r.start),
            static_cast<ull>(r.end - 1), y + h - 8, r.run != nullptr ? "" : " fill=\"#999999\"",
            size_text(size).c_str());
        if (r.run == nullptr) {
            put(out,
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#f2f2f2\" stroke=\"#dddddd\"/>"
                "<text x=\"%d\" y=\"%d\" fill=\"#999999\" font-size=\"11\">unmapped</text>\n",
                kBarX, y + 3, w, h - 6, kBarX + w + 8, y + h - 6);
        } else {
            const Kind k = kind_of(r.run->flags, map.regime);
            const bool pages = r.run->level == kLeafLevel;
            put(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>", kBarX, y + 3, w, h - 6,
                k.colour);
            if (pages) {
                put(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"url(#pages)\"/>", kBarX, y + 3, w,
                    h - 6);
            }
            const std::string name = name_at(map, r.start);
            put(out,
                "<text x=\"%d\" y=\"%d\"><tspan font-weight=\"bold\">%s</tspan>%s%s: %llu x %s %s (level %u)</text>\n",
                kBarX + w + 8, y + h - 8, escape(name).c_str(), name.empty() ? "" : "  ",
                describe(r.run->flags, map.regime).c_str(), static_cast<ull>(r.run->count),
                size_text(level_size(r.run->level)).c_str(), pages ? "pages" : "blocks", r.run->level);
        }
        y += h;
    }

    put(out,
        "<text x=\"12\" y=\"%d\" font-size=\"14\" font-weight=\"bold\">Tables: %zu page%s at 0x%llx-0x%llx "
        "(table i at 0x%llx + i x 4 KiB)</text>\n",
        tables_top - 20, image.pages(), image.pages() == 1 ? "" : "s", static_cast<ull>(image.base),
        static_cast<ull>(image.base + image.pages() * kPageSize - 1), static_cast<ull>(image.base));
    for (size_t t = 0; t < image.pages(); ++t) {
        const int bx = 12 + static_cast<int>(t % tables_per_row) * (box_w + 8);
        const int by = tables_top + static_cast<int>(t / tables_per_row) * (box_h + 8);
        const TableInfo& info = image.tables[t];
        put(out,
            "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"4\" fill=\"#fdf2d0\" stroke=\"#b7950b\"/>"
            "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">#%zu level %u%s</text>"
            "<text x=\"%d\" y=\"%d\" font-family=\"DejaVu Sans Mono, monospace\" font-size=\"11\">from 0x%llx</text>\n",
            bx, by, box_w, box_h, bx + 8, by + 16, t, info.level, t == 0 ? " (root)" : "", bx + 8, by + 32,
            static_cast<ull>(info.va));
    }

    static const struct {
        const char* colour;
        const char* text;
    } legend[] = {
        {"#2e6fba", "Normal, read-write, execute-never"},
        {"#85c1e9", "Normal, read-only, execute-never"},
        {"#27ae60", "Normal, read-only, executable"},
        {"#e67e22", "Device-nGnRE, execute-never"},
        {"#c0392b", "writable and executable (or executable Device)"},
    };
    int lx = 12, ly = legend_top;
    for (const auto& l : legend) {
        put(out, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>\n",
            lx, ly, l.colour, lx + 20, ly + 12, l.text);
        lx += 310;
        if (lx > kWidth - 300) {
            lx = 12;
            ly += 20;
        }
    }
    ly += 20;
    put(out,
        "<rect x=\"12\" y=\"%d\" width=\"14\" height=\"14\" fill=\"#2e6fba\"/>"
        "<rect x=\"12\" y=\"%d\" width=\"14\" height=\"14\" fill=\"url(#pages)\"/>"
        "<text x=\"32\" y=\"%d\">striped: 4 KiB pages; solid: blocks (2 MiB at level 2, 1 GiB at level 1)</text>\n",
        ly, ly, ly + 12);
    put(out,
        "<text x=\"12\" y=\"%d\" font-family=\"DejaVu Sans Mono, monospace\" font-size=\"11\" fill=\"#555555\">"
        "sha256 %s</text>\n",
        ly + 36, to_hex(digest).c_str());
    put(out, "</svg>\n");
    return out;
}

}  // namespace idmap_image
