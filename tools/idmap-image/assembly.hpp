// assembly.hpp - a table image as an AArch64 assembly source: assembled by the target's
// compiler into the object a bootloader links (tools/idmap-image/idmap_image.h declares
// what it defines).
//
// Absolute variant: the tables in section .idmap_tables (4 KiB aligned), which the
// bootloader's linker script places at idmap_image_tables_pa, the memory map's tables
// address; idmap_image_enable_mmu() turns the MMU on with them.
//
// Relocatable variant: the tables in .data.idmap_image_tables, anywhere 4 KiB aligned;
// each table descriptor holds its table's offset from the image start, and
// idmap_image_relocs lists where those descriptors are. At load time
// idmap_image_relocate(base) adds base to each listed one (a loop of six instructions),
// then idmap_image_enable_mmu_at(base) turns the MMU on with the tables at base.
#ifndef IDMAP_IMAGE_ASSEMBLY_HPP
#define IDMAP_IMAGE_ASSEMBLY_HPP

#include <string>

#include "memmap.hpp"
#include "sha256.hpp"
#include "tables.hpp"

namespace idmap_image {

// The assembly source for image (built from map; relocatable: image.base is 0), with
// digest, the SHA-256 of the absolute image, in idmap_image_sha256.
std::string assembly_source(const MemoryMap& map, const TableImage& image, bool relocatable,
                            const Sha256Digest& digest);

}  // namespace idmap_image

#endif
