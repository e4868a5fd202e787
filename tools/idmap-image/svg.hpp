// svg.hpp - a picture of a memory map's address space: one row per run of like leaves
// (and per unmapped gap), coloured by memory type and permissions, blocks drawn solid and
// pages striped, the bar's width growing with the log of the run's size; then the table
// pages, one box each, with their level and the address they start translating at.
#ifndef IDMAP_IMAGE_SVG_HPP
#define IDMAP_IMAGE_SVG_HPP

#include <string>

#include "memmap.hpp"
#include "sha256.hpp"
#include "tables.hpp"

namespace idmap_image {

// The SVG document for map, whose tables are image (absolute), with their digest.
std::string svg_picture(const MemoryMap& map, const TableImage& image, const Sha256Digest& digest);

}  // namespace idmap_image

#endif
