// main.cpp - idmap-image: a board's memory map in, its translation tables out, built on
// the host by the library's core so that the firmware builds none at run time.
//
//   idmap-image [-o FILE.S] [--relocatable] [--bin FILE] [--svg FILE] MEMMAP
//
//   -o FILE.S      the assembly source of the tables object (assembly.hpp): absolute, or
//                  with --relocatable the relocatable variant
//   --bin FILE     the table image's bytes (the relocatable one with --relocatable)
//   --svg FILE     a picture of the address space (svg.hpp)
//
// Prints a summary line, then "sha256 <64 hex digits>": the SHA-256 of the absolute
// image (the tables at the memory map's address), for measured boot; with --relocatable
// also "sha256-relocatable <hex>" of the image before relocation. Same map, same bytes.
// Exit status 0, or 1 with a message naming the file and line at fault, 2 for bad usage.
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <string>
#include <vector>

#include "assembly.hpp"
#include "memmap.hpp"
#include "sha256.hpp"
#include "svg.hpp"
#include "tables.hpp"

namespace {

int usage() {
    fprintf(stderr, "usage: idmap-image [-o FILE.S] [--relocatable] [--bin FILE] [--svg FILE] MEMMAP\n");
    return 2;
}

bool write_file(const char* path, const void* data, size_t len) {
    FILE* f = fopen(path, "wb");
    if (f == nullptr) {
        fprintf(stderr, "idmap-image: %s: %s\n", path, strerror(errno));
        return false;
    }
    const bool ok = fwrite(data, 1, len, f) == len;
    if (fclose(f) != 0 || !ok) {
        fprintf(stderr, "idmap-image: %s: write failed\n", path);
        return false;
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace idmap_image;
    const char* asm_path = nullptr;
    const char* bin_path = nullptr;
    const char* svg_path = nullptr;
    const char* memmap_path = nullptr;
    bool relocatable = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "-o" && has_value) {
            asm_path = argv[++i];
        } else if (arg == "--bin" && has_value) {
            bin_path = argv[++i];
        } else if (arg == "--svg" && has_value) {
            svg_path = argv[++i];
        } else if (arg == "--relocatable") {
            relocatable = true;
        } else if (arg[0] != '-' && memmap_path == nullptr) {
            memmap_path = argv[i];
        } else {
            return usage();
        }
    }
    if (memmap_path == nullptr) {
        return usage();
    }

    MemoryMap map;
    std::string error;
    if (!read_memmap(memmap_path, map, error)) {
        fprintf(stderr, "idmap-image: %s\n", error.c_str());
        return 1;
    }
    // The absolute image is the one measured, whichever variant is written.
    TableImage absolute;
    if (!build_tables(map, false, absolute, error)) {
        fprintf(stderr, "idmap-image: %s: %s\n", memmap_path, error.c_str());
        return 1;
    }
    const std::vector<uint8_t> absolute_bytes = absolute.bytes();
    const Sha256Digest digest = sha256(absolute_bytes.data(), absolute_bytes.size());
    TableImage image = absolute;
    if (relocatable && !build_tables(map, true, image, error)) {
        fprintf(stderr, "idmap-image: %s: %s\n", memmap_path, error.c_str());
        return 1;
    }
    const std::vector<uint8_t> bytes = image.bytes();

    if (asm_path != nullptr) {
        const std::string source = assembly_source(map, image, relocatable, digest);
        if (!write_file(asm_path, source.data(), source.size())) {
            return 1;
        }
    }
    if (bin_path != nullptr && !write_file(bin_path, bytes.data(), bytes.size())) {
        return 1;
    }
    if (svg_path != nullptr) {
        const std::string picture = svg_picture(map, absolute, digest);
        if (!write_file(svg_path, picture.data(), picture.size())) {
            return 1;
        }
    }
    printf("%s: %zu table page%s at 0x%llx (at most %llu), %s, root level %u, ASID %llu, %zu map line%s\n",
           map.board.empty() ? memmap_path : map.board.c_str(), image.pages(), image.pages() == 1 ? "" : "s",
           static_cast<unsigned long long>(map.tables_base), static_cast<unsigned long long>(map.max_pages),
           regime_name(map.regime), map.root_level, static_cast<unsigned long long>(map.asid), map.regions.size(),
           map.regions.size() == 1 ? "" : "s");
    printf("sha256 %s\n", to_hex(digest).c_str());
    if (relocatable) {
        printf("sha256-relocatable %s\n", to_hex(sha256(bytes.data(), bytes.size())).c_str());
    }
    return 0;
}
