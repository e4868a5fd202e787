// Inputs of the fuzz target (fuzz/fuzz_idmap.cpp) replayed through the same driver and
// checks (tests/model/fuzz_driver.hpp), so that what the fuzzer once found stays fixed.
// Inputs decode the same whichever compiler built the driver (random_op draws in a fixed
// order), and those starting with 0 to 3 the same as before unmap_range and
// compact_subtables joined the calls (fuzz_driver.hpp's legacy set). To add a crash: `xxd -i build/fuzz/crash-<sha1>` gives the bytes; add them below
// with a line saying what the input found.
#include <catch2/catch.hpp>

#include "model/fuzz_driver.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace {

// crash-70e26b84177d50063248f41376b1bb64c08bc43b (606 bytes): a bug of the walker's fast
// path, not of the library. After an all-zero level-2 entry at 38 GiB (a block's entry 0
// whose bits a modify had cleared: output address 0, no attributes), the next entry held
// only its output address (0x200000, left by the split of a block that a callback had
// made non-zero); the walker took it for more of the same "zero" run.
const uint8_t kZeroThenAddressOnly[] = {
    0x01, 0x38, 0xe9, 0x7a, 0xb6, 0xa8, 0x44, 0xce, 0x07, 0xfb, 0xaf, 0xc6, 0x83, 0x15, 0x5a, 0x5d,
    0x6c, 0x17, 0xf9, 0x08, 0x7d, 0xc4, 0xe6, 0x6d, 0xfe, 0x97, 0x15, 0xe1, 0x89, 0xa0, 0xbb, 0xa8,
    0x99, 0x22, 0xbe, 0xec, 0xd8, 0xee, 0xdb, 0x79, 0x89, 0x25, 0x7e, 0x99, 0x3e, 0x67, 0xd0, 0xf1,
    0x84, 0x14, 0x08, 0xba, 0xeb, 0x80, 0xc5, 0xd6, 0x29, 0xe6, 0x3f, 0x1f, 0x82, 0x38, 0x25, 0x0f,
    0x07, 0xa6, 0x38, 0x31, 0x8e, 0xf0, 0xa7, 0x4b, 0x75, 0x6c, 0x29, 0x48, 0x16, 0xd6, 0xdd, 0xe8,
    0x08, 0xdb, 0xe1, 0x26, 0x1b, 0x64, 0xb4, 0x6c, 0x12, 0xa3, 0x48, 0x79, 0x1e, 0xde, 0xf6, 0x0e,
    0x1f, 0xfe, 0xf2, 0x5c, 0x9a, 0xd6, 0xca, 0x2d, 0x78, 0x39, 0x76, 0xd4, 0x84, 0xaa, 0x31, 0xd6,
    0xa2, 0x1a, 0x19, 0x55, 0xd0, 0x03, 0x89, 0x40, 0xde, 0x8d, 0x37, 0x3c, 0xed, 0x55, 0x0c, 0x51,
    0xa9, 0xf9, 0xc6, 0x55, 0x46, 0x63, 0x50, 0x19, 0x3c, 0xd6, 0xdc, 0x55, 0xc1, 0xba, 0xc6, 0x53,
    0x0b, 0x27, 0x29, 0x5e, 0x42, 0x33, 0x3d, 0xea, 0x47, 0xfc, 0x77, 0x80, 0x27, 0x74, 0x5e, 0x70,
    0x5d, 0xef, 0x2f, 0x34, 0xcb, 0x6e, 0x30, 0xa6, 0x77, 0xa9, 0xd4, 0xe2, 0x06, 0xde, 0x94, 0xf9,
    0xf9, 0x5c, 0x88, 0x5a, 0xa9, 0xce, 0xc7, 0x01, 0x03, 0x48, 0x84, 0x5d, 0x04, 0x13, 0xe5, 0x02,
    0xf3, 0x39, 0xa2, 0x13, 0x62, 0xcf, 0x62, 0x6d, 0xe2, 0x05, 0xd6, 0x94, 0x89, 0xef, 0x91, 0x5e,
    0x25, 0x10, 0xae, 0x61, 0x3d, 0xab, 0x20, 0x1d, 0xcb, 0xca, 0xd7, 0xea, 0xbc, 0x0b, 0x98, 0xa0,
    0x23, 0x2d, 0x99, 0x08, 0x41, 0x5e, 0xdf, 0x05, 0x36, 0x42, 0x58, 0x82, 0x83, 0xc3, 0xb8, 0x1b,
    0x47, 0x9b, 0x14, 0x8b, 0x35, 0xa3, 0x3f, 0xd8, 0x58, 0xd9, 0xe8, 0x40, 0x86, 0x32, 0x70, 0xe1,
    0xa5, 0x25, 0x8c, 0x2c, 0xa1, 0xf4, 0x9f, 0x08, 0x29, 0xb8, 0xd4, 0xc5, 0x2c, 0x34, 0xff, 0xc7,
    0x17, 0x56, 0x31, 0xef, 0xcb, 0x8c, 0x1d, 0xc8, 0x60, 0xcd, 0x2e, 0x76, 0x9c, 0x62, 0x64, 0x5f,
    0x31, 0x78, 0xf2, 0x96, 0xba, 0x67, 0x99, 0x0c, 0x74, 0xc0, 0xc2, 0x75, 0xbc, 0x19, 0x5e, 0xfb,
    0x4c, 0x97, 0x7e, 0xa6, 0x35, 0x40, 0xb1, 0x86, 0x9c, 0xfe, 0x21, 0xa5, 0x34, 0x72, 0x6c, 0x7f,
    0x43, 0x5f, 0xc4, 0x91, 0x7e, 0xc5, 0xb0, 0xaa, 0xcf, 0xb1, 0x99, 0xaa, 0x6b, 0x4a, 0xcd, 0x4f,
    0xa0, 0xb8, 0x72, 0xc7, 0xad, 0x96, 0xf4, 0xa9, 0xc4, 0xc4, 0x3a, 0xe5, 0x88, 0x3a, 0x81, 0x6d,
    0x47, 0x90, 0xf8, 0x9f, 0x01, 0x00, 0x62, 0x50, 0x00, 0xb4, 0xb0, 0x00, 0xf7, 0x49, 0x1c, 0x79,
    0xf2, 0xe3, 0xd2, 0x7b, 0x71, 0x9f, 0x46, 0x5b, 0xca, 0x10, 0x85, 0x6b, 0x69, 0x66, 0xdc, 0xcb,
    0xd2, 0xff, 0xd6, 0xa2, 0x1a, 0x19, 0xee, 0xdb, 0x79, 0x25, 0x7e, 0x99, 0x3e, 0x67, 0xd0, 0xf1,
    0x84, 0x14, 0x08, 0xba, 0xeb, 0x80, 0xc5, 0xd6, 0x29, 0xe6, 0x30, 0xa6, 0x77, 0xa9, 0xd4, 0xe2,
    0x06, 0xde, 0x94, 0xf9, 0xf9, 0x5c, 0x88, 0x5a, 0xa9, 0xce, 0xc7, 0x01, 0x03, 0x48, 0x84, 0x5d,
    0x04, 0x13, 0xe5, 0x02, 0xf3, 0x39, 0xa2, 0x13, 0x1f, 0x1f, 0x82, 0x38, 0x25, 0x0f, 0x07, 0xa6,
    0x38, 0x31, 0x8e, 0xf0, 0xa7, 0x4b, 0x75, 0x6c, 0x29, 0x48, 0x16, 0x73, 0x73, 0x1e, 0x2d, 0xd7,
    0xfc, 0xe3, 0x52, 0x00, 0x00, 0xe5, 0x27, 0x47, 0x7b, 0xeb, 0xed, 0x7b, 0x43, 0x43, 0x91, 0xa8,
    0x44, 0xce, 0x07, 0xfb, 0xaf, 0xc6, 0x60, 0x51, 0xa7, 0x79, 0x90, 0x79, 0x12, 0xab, 0xb7, 0x18,
    0xaa, 0xd6, 0x2e, 0x62, 0xbe, 0x4a, 0x49, 0x84, 0x9e, 0xe5, 0x3c, 0x8c, 0xb7, 0x27, 0x86, 0x25,
    0x31, 0x5c, 0x9b, 0x14, 0x3e, 0xe1, 0x89, 0xa0, 0xbb, 0xa8, 0x75, 0x75, 0x75, 0x75, 0x75, 0x75,
    0x75, 0x75, 0x75, 0x75, 0x75, 0x75, 0x75, 0x75, 0x75, 0x75, 0x75, 0x75, 0x75, 0x75, 0x75, 0x75,
    0x75, 0x75, 0x75, 0x62, 0x6d, 0xe2, 0x05, 0xd6, 0x94, 0x89, 0xef, 0x91, 0x5e, 0x25, 0x10, 0xae,
    0x61, 0x3d, 0xab, 0x20, 0x1d, 0xcb, 0xca, 0xd7, 0xea, 0xbc, 0x0b, 0x98, 0xa0, 0x23, 0x2d, 0x99,
    0x1e, 0x8f, 0x67, 0x45, 0x86, 0x3e, 0xe0, 0xa5, 0xbd, 0xe0, 0x64, 0x77, 0x15, 0xf2, 0x7a, 0x5a,
    0xe6, 0xe5, 0x82, 0xfb, 0x2a, 0x08, 0x41, 0x5e, 0xdf, 0x05, 0x89, 0x36, 0xb5, 0x42,
};

// The current set of calls (first byte 4: root level 0, with unmap_range and
// compact_subtables): not a crash, an input that reaches every outcome of the two
// (unmap_range splitting blocks, freeing tables, refused for break-before-make and for
// want of pages; compact_subtables freeing tables), drawn at random and kept so that the
// decoding of those calls stays what it is.
const uint8_t kUnmapAndCompact[] = {
    0x04, 0x73, 0x85, 0xa9, 0x3e, 0xe0, 0x61, 0xa0, 0x30, 0x9c, 0x24, 0x60, 0x65, 0x8b, 0x64, 0x5b,
    0xe6, 0xb4, 0x75, 0xed, 0xd5, 0xd3, 0xa1, 0x42, 0xf2, 0x90, 0x93, 0x72, 0x76, 0x86, 0x05, 0xcd,
    0x10, 0x82, 0x38, 0x9c, 0x91, 0xde, 0x09, 0x19, 0x4e, 0x64, 0x72, 0x7d, 0x3b, 0xaa, 0x00, 0xc8,
    0x82, 0x83, 0x00, 0xb8, 0x6d, 0x4d, 0x8d, 0xbe, 0x0e, 0x55, 0x1e, 0xbc, 0xac, 0x85, 0xd5, 0x96,
    0x04, 0x95, 0x1e, 0x06, 0x1c, 0x95, 0xeb, 0x46, 0x7b, 0x6c, 0x61, 0xf4, 0x66, 0x5b, 0xfc, 0xfd,
    0x22, 0xbe, 0xf7, 0x5b, 0x4c, 0x5b, 0xbc, 0xce, 0x89, 0x7b, 0xa2, 0x2c, 0x48, 0x6e, 0x4e, 0xee,
    0x94, 0x48, 0xdb, 0x3f, 0xe7, 0xe5, 0x18, 0x8a, 0xa3, 0xa5, 0x00, 0xad, 0x31, 0xc9, 0x91, 0x11,
    0x08, 0x84, 0xf6, 0xb0, 0x56, 0xc2, 0x39, 0x96, 0x33, 0xaa, 0x62, 0x10, 0x2e, 0x2e, 0x6f, 0x46,
    0x12, 0xda, 0xed, 0x97, 0x64, 0x38, 0x6e, 0x0d, 0x60, 0x6c, 0xfb, 0xb0, 0x99, 0xa9, 0x33, 0x28,
    0xa0, 0x45, 0xd6, 0xc0, 0x25, 0x4c, 0x4f, 0x94, 0x1d, 0xcf, 0xcc, 0x5e, 0x5f, 0x49, 0x9f, 0xd0,
    0x31, 0x87, 0x4c, 0x51, 0x77, 0x66, 0xd9, 0x57, 0xb5, 0xb2, 0x40, 0x61, 0xa2, 0x62, 0xa2, 0x9b,
    0xae, 0x2f, 0xfa, 0xbe, 0x71, 0xb9, 0xdc, 0xcc, 0x2d, 0xaf, 0x6b, 0x21, 0xe6, 0x01, 0xc1, 0xf7,
    0xdd, 0x79, 0x2f, 0xde, 0xf7, 0x3c, 0x3a, 0x90, 0xe3, 0x40, 0x86, 0xd2, 0x54, 0xae, 0x54, 0x17,
    0x62, 0x8b, 0xd5, 0xa3, 0xbd, 0xda, 0xb3, 0xd9, 0xa8, 0xd8, 0x61, 0x9a, 0x3d, 0x0d, 0xd5, 0x87,
    0xe0, 0x43, 0xe0, 0xd2, 0x52, 0xba, 0x1b, 0x66, 0xb1, 0xdf, 0xd1, 0xe8, 0x0c, 0x21, 0x9a, 0x1c,
    0x07, 0xf4, 0x45, 0x22, 0x75, 0x3b, 0xb5, 0xfe, 0x29, 0x23, 0xcd, 0xd7, 0xba, 0x7f, 0x18, 0x7b,
    0xeb, 0x7f, 0x94, 0x75, 0xbc, 0x5d, 0x6e, 0x4e, 0x3c, 0x4f, 0x64, 0xd2, 0x63, 0xed, 0x57, 0x85,
    0x42, 0xba, 0xf9, 0x37, 0x88, 0x3f, 0x96, 0xf3, 0x37, 0xbd, 0xfb, 0xbf, 0x21, 0xdc, 0x24, 0x2b,
    0x66, 0xdc, 0xf8, 0x4c, 0x64, 0x7a, 0xba, 0xb6, 0x87, 0xae, 0x08, 0xde, 0xda, 0xc8, 0xc0, 0xe2,
    0x68, 0x10, 0x3c, 0xd8, 0x59, 0xc0, 0x50, 0x63, 0x44, 0xb3, 0x4a, 0x18, 0xa6, 0x8f, 0xf4, 0x99,
    0x3d, 0x1d, 0x5f, 0xf8, 0x14, 0x37, 0x2e, 0x68, 0x97, 0xe7, 0x28, 0xc1, 0xca, 0x86, 0x22, 0x83,
    0x7b, 0x2f, 0xc4, 0x6a, 0xb3, 0x19, 0x10, 0x96, 0x4f, 0x0e, 0x27, 0x86, 0xb0, 0x00, 0xe3, 0xcc,
    0x0a, 0xc0, 0x56, 0x75, 0x54, 0x90, 0xc4, 0xea, 0x1e, 0x9d, 0x9d, 0xda, 0x34, 0xf3, 0x4d, 0xd5,
    0xd1, 0x13, 0x81, 0x7e, 0x9c, 0x27, 0x4b, 0xd5, 0x3f, 0x4c, 0xaf, 0x04, 0xdc, 0xbd, 0x89, 0xe2,
    0x24, 0xf1, 0x0e, 0xd6, 0x9e, 0xb3, 0xe2, 0xc7, 0x1a, 0xa3, 0x7c, 0x4d, 0x4c, 0xea, 0x34, 0x76,
    0x37, 0xda, 0x0f, 0x01, 0xa8, 0x3f, 0xa4, 0xdd, 0xc6, 0x27, 0xb8, 0x04, 0x17, 0x19, 0x76, 0xfe,
    0xd9, 0x50, 0xd8, 0x8f, 0xf3, 0x79,
};

// crash-c49325a4ab91e1a780d025f5caf8931595e8ccd6 (122 bytes): a bug of the model, not of
// the library (heap-use-after-free under ASan). A stage-2 map (first byte 0xd2: kind 4,
// the hint on) and an idmap_s2_map_range_bbm that splits a block: Model::map_entries read
// the block's contiguous bit through an iterator into its runs after writing the entries
// before it, which may reallocate them.
const uint8_t kBbmSplitAfterWrite[] = {
    0xd2, 0x7e, 0x8c, 0xc7, 0x2c, 0x9b, 0x2f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x3d, 0x14, 0x83, 0x83, 0xc7, 0x66, 0x20, 0xb7, 0x5a, 0x42, 0x45, 0x59,
    0xc0, 0x91, 0xc0, 0x5e, 0xad, 0x22, 0x69, 0x2b, 0xa2, 0x21, 0xf2, 0xb8, 0x43, 0x00, 0x41, 0x07,
    0x00, 0xc0, 0x10, 0x00, 0x00, 0x00, 0x41, 0x07, 0x00, 0x00, 0x11, 0x00, 0x00, 0x00, 0x41, 0x87,
    0x00, 0x40, 0x11, 0x00, 0x00, 0x00, 0x41, 0x07, 0x00, 0x80, 0x11, 0x00, 0x00, 0x00, 0x41, 0x07,
    0x00, 0xc0, 0x15, 0x00, 0x00, 0x00, 0x41, 0x07, 0x00, 0x00, 0x12, 0x00, 0x00, 0x00, 0xb8, 0x80,
    0x5b, 0xd2, 0xb0, 0x0a, 0x73, 0x92, 0xd3, 0x80, 0x49, 0xe2, 0x36, 0x77, 0x50, 0x53, 0x09, 0xd5,
    0x44, 0xfb, 0x5f, 0xfa, 0xc3, 0xa8, 0xbe, 0x0f, 0xcb, 0xe1,
};

// crash-feddebdb732810eaa920231889eb7c5fb2661514 (93 bytes): a bug of the model, not of
// the library. A stage-2 map whose root has 4 entries (first byte 0xc6: kind 1, start
// level 1, a 32-bit IPA; the hint on) mapped whole by 4 blocks of 1 GiB: the model took
// them for a contiguous group (its check of the group's 16 entries found no run past the
// 4) and touched the group's 16 GiB, past the map's end, where the walker then found
// pages the model does not have. The library hints no group there; nor does the model now.
const uint8_t kGroupPastSmallRoot[] = {
    0xc6, 0x10, 0x42, 0x40, 0x5f, 0xc8, 0x41, 0xd2, 0x84, 0xa1, 0x97, 0x59, 0x09, 0x50, 0xe7, 0x49,
    0x03, 0x20, 0xfe, 0xb7, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x40, 0x82,
    0xdd, 0xd5, 0x7f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x4c, 0xae, 0x55, 0x30, 0x65, 0x3d, 0x4f, 0xdc,
};

// crash-4f9d655a (120 bytes): compact_subtables on an active map whose tables protect
// themselves does nothing (and so no barrier), which the harness's TLB check took for a
// live change that ended without its DSB ISHST.
const uint8_t kCompactProtected[] = {
    0x13, 0x7c, 0xac, 0x62, 0xdc, 0x04, 0x71, 0x5a, 0xcc, 0xf1, 0x03, 0xeb, 0xf6, 0xb3, 0x39, 0x8e,
    0x80, 0x54, 0x19, 0x74, 0x98, 0x18, 0xbd, 0xfb, 0x40, 0x56, 0x03, 0xed, 0xdd, 0x1a, 0xf8, 0x7b,
    0x7d, 0x7d, 0x02, 0xfc, 0xeb, 0xbf, 0xcf, 0x2b, 0x75, 0x29, 0x01, 0x87, 0x78, 0xa5, 0x96, 0x0c,
    0xb0, 0x19, 0x19, 0x2f, 0x41, 0xc1, 0x56, 0xc8, 0x93, 0x8a, 0xd1, 0x06, 0xc4, 0xc3, 0x91, 0xef,
    0x49, 0xd1, 0xfe, 0xa2, 0xb8, 0x9e, 0x3d, 0xf6, 0x61, 0xed, 0x5e, 0x36, 0x5f, 0x7d, 0x48, 0x9d,
    0x60, 0xe5, 0x64, 0x90, 0x34, 0x2a, 0x0c, 0x9d, 0x16, 0x21, 0xb2, 0x37, 0xbd, 0x88, 0xd0, 0x2f,
    0x22, 0xea, 0x93, 0xf2, 0x10, 0x16, 0x47, 0x85, 0x6d, 0xc6, 0x81, 0x41, 0x4a, 0x70, 0x0e, 0x4e,
    0xac, 0x47, 0x9f, 0xe0, 0x18, 0xcf, 0x30, 0x34,
};

// crash-d208b8c0 (128 bytes): collect_dirty on a sealed map, where making a writable EL0
// page clean (read-only) would let EL1 execute it: refused (Sealed), but the bitmap had
// been cleared and written by the callback's calls on copies before the seal's refusal.
const uint8_t kSealedCollectDirty[] = {
    0x13, 0xc3, 0xef, 0x35, 0x94, 0xc7, 0x8d, 0x61, 0x21, 0x26, 0x91, 0x7d, 0x0f, 0xfe, 0x3e, 0xbc,
    0x15, 0x85, 0xfc, 0x77, 0x7e, 0xf1, 0xe3, 0xcc, 0x93, 0x6a, 0x09, 0xf2, 0xc8, 0xd1, 0x8c, 0x5e,
    0xa9, 0x33, 0x5e, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x6d, 0x6c, 0xc9, 0x61, 0xc3,
    0x72, 0x5a, 0x70, 0x55, 0xf3, 0x6f, 0x68, 0x3b, 0x30, 0x61, 0xf4, 0x8c, 0xaf, 0x1d, 0x28, 0x7b,
    0x55, 0xa0, 0x4d, 0x2e, 0xe4, 0x32, 0x6c, 0x5d, 0x80, 0x62, 0x9d, 0xb0, 0x03, 0xc4, 0x0d, 0xd5,
    0xf4, 0x6d, 0xd0, 0x29, 0x35, 0x94, 0x71, 0x36, 0x85, 0x21, 0xf5, 0x9c, 0x76, 0xfa, 0xde, 0xb2,
    0xe8, 0x94, 0xf1, 0x52, 0xf2, 0xb1, 0x65, 0x45, 0xd1, 0x7c, 0x3d, 0x6c, 0xa8, 0x9a, 0x67, 0xb3,
    0xf7, 0xf5, 0x99, 0xb5, 0xdd, 0xdd, 0x47, 0xe7, 0x2f, 0x0d, 0x68, 0x24, 0x27, 0x92, 0x58, 0xff,
};

struct Input {
    const char* what;
    const uint8_t* bytes;
    size_t size;
    bool every_unmap_outcome;  // reaches every outcome of unmap_range and compact_subtables
};

const uint8_t kEmpty[1] = {0};
const uint8_t kRootThree[] = {0x03, 0x00, 0x01, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90};

const Input kInputs[] = {
    {"nothing: a root-level-0 map created and freed", kEmpty, 0, false},
    {"root level 3, a few calls", kRootThree, sizeof kRootThree, false},
    {"crash-70e26b84: zero entry, then one holding only an address", kZeroThenAddressOnly,
     sizeof kZeroThenAddressOnly, false},
    {"current set: every outcome of unmap_range and compact_subtables", kUnmapAndCompact, sizeof kUnmapAndCompact,
     true},
    {"crash-c49325a4: stage-2 map_range_bbm splitting a block after writing entries", kBbmSplitAfterWrite,
     sizeof kBbmSplitAfterWrite, false},
    {"crash-feddebdb: no contiguous group in a stage-2 root of 4 entries", kGroupPastSmallRoot,
     sizeof kGroupPastSmallRoot, false},
    {"crash-d208b8c0: a sealed map's collect_dirty refused after writing the bitmap", kSealedCollectDirty,
     sizeof kSealedCollectDirty, false},
    {"crash-4f9d655a: compact_subtables on a live map with protected tables does nothing", kCompactProtected,
     sizeof kCompactProtected, false},
};

}  // namespace

TEST_CASE("fuzz inputs found before still pass every check", "[fuzz]") {
    for (const Input& input : kInputs) {
        INFO(input.what);
        idmap_model::HarnessStats stats;
        const std::string failure = idmap_model::run_fuzz_input(input.bytes, input.size, &stats);
        INFO(failure);
        CHECK(failure.empty());
        if (input.size == 0 || input.bytes[0] < 4) {
            // Inputs written before unmap_range and compact_subtables decode as they did.
            CHECK(stats.unmaps == 0);
            CHECK(stats.compacts == 0);
        } else if (input.every_unmap_outcome) {
            CHECK(stats.unmap_by_status[IDMAP_OK] > 0);
            CHECK(stats.unmap_by_status[IDMAP_ERR_BREAK_BEFORE_MAKE] > 0);
            CHECK(stats.unmap_by_status[IDMAP_ERR_OUT_OF_MEMORY] > 0);
            CHECK(stats.unmap_splits > 0);
            CHECK(stats.unmap_freed > 0);
            CHECK(stats.compact_freed > 0);
        }
    }
}

// Inputs for each map kind of fuzz_driver.hpp's kFuzzMaps (first byte 32 and up: 32 + 4 *
// kind + root level), bytes from a fixed LCG as fuzz/make_corpus.sh writes its seeds:
// every kind must pass the checks, reach live changes and the TLB maintenance they need.
TEST_CASE("fuzz inputs on maps of every regime, VA range and offset pass every check", "[fuzz]") {
    uint32_t x = 12345;
    for (unsigned kind = 0; kind < 8; ++kind) {
        idmap_model::HarnessStats stats;
        for (unsigned root = 0; root < 4; ++root) {
            std::vector<uint8_t> input(1200);
            input[0] = static_cast<uint8_t>(32 + 4 * kind + root);
            for (size_t i = 1; i < input.size(); ++i) {
                x = x * 1103515245u + 12345u;
                input[i] = static_cast<uint8_t>(x >> 16);
            }
            const std::string failure = idmap_model::run_fuzz_input(input.data(), input.size(), &stats);
            INFO("kind " << kind << ", root level " << root << ": " << failure);
            CHECK(failure.empty());
        }
        INFO("kind " << kind);
        CHECK(stats.by_status[IDMAP_OK] > 0);
        CHECK(stats.unmaps > 0);
        CHECK(stats.live_changes > 0);
    }
}

// The extended set of calls (first byte 64 and up, fuzz_driver.hpp): coalesce_subtables
// and seal, the contiguous hint with bit 7, idmap_tables_needed before every map. Inputs
// from the same LCG for the EL1&0 identity map (bit 5 clear) and every kFuzzMaps kind,
// hint off and on: every check must pass, and together they must reach tables coalesced
// into blocks, hinted groups, sealed maps refusing calls, and tables_needed's checks.
TEST_CASE("fuzz inputs of the extended set (coalesce, seal, contiguous hint) pass every check", "[fuzz]") {
    uint32_t x = 54321;
    idmap_model::HarnessStats stats;
    for (unsigned hint = 0; hint < 2; ++hint) {
        for (unsigned kind = 0; kind < 9; ++kind) {  // 8: the EL1&0 identity map
            for (unsigned root = 0; root < 4; ++root) {
                std::vector<uint8_t> input(1200);
                input[0] = static_cast<uint8_t>(64 + 128 * hint + (kind < 8 ? 32 + 4 * kind : 0) + root);
                for (size_t i = 1; i < input.size(); ++i) {
                    x = x * 1103515245u + 12345u;
                    input[i] = static_cast<uint8_t>(x >> 16);
                }
                const std::string failure = idmap_model::run_fuzz_input(input.data(), input.size(), &stats);
                INFO("first byte " << unsigned{input[0]} << ": " << failure);
                CHECK(failure.empty());
            }
        }
    }
    CHECK(stats.tables_needed > 0);
    CHECK(stats.coalesce_freed > 0);
    CHECK(stats.seals > 0);
    CHECK(stats.by_status[IDMAP_ERR_SEALED] > 0);
    CHECK(stats.hinted_checks > 0);
}

namespace {

// The second byte of an input of the sets after the first: the map of kind (kFuzzMaps for
// 0 to 7; 8 to 15 the EL1&0 identity map, then stage 2's by 4:2) at root, hint in bit 7.
unsigned map_byte(unsigned kind, unsigned root, unsigned hint) {
    return 128 * hint + (kind < 8 ? 32 + 4 * kind : 4 * (kind - 8)) + root;
}

// An input of 600 bytes - first, second, then 598 of the LCG x - run and checked, its
// stats added to stats.
void run_generated(uint8_t first, unsigned second, uint32_t& x, idmap_model::HarnessStats& stats) {
    std::vector<uint8_t> input(600);
    input[0] = first;
    input[1] = static_cast<uint8_t>(second);
    for (size_t i = 2; i < input.size(); ++i) {
        x = x * 1103515245u + 12345u;
        input[i] = static_cast<uint8_t>(x >> 16);
    }
    const std::string failure = idmap_model::run_fuzz_input(input.data(), input.size(), &stats);
    INFO("bytes " << unsigned{input[0]} << ", " << unsigned{input[1]} << ": " << failure);
    CHECK(failure.empty());
}

}  // namespace

// The attributes set (first byte 8 to 18, then an extended input's first byte, bit 6 taken
// as set; fuzz_driver.hpp): idmap_change_attributes and idmap_walk_runs among the others,
// on the EL1&0 identity map, every kFuzzMaps map and every kFuzzStage2 map, hint off and
// on, inputs from the same LCG: every check must pass, and together they must reach
// changes that succeed (on active maps too, and emptying leaves), refused masks, refusals
// for break-before-make, runs of more than one leaf, and walks stopped at a run.
TEST_CASE("fuzz inputs of the attributes set (change_attributes, walk_runs) pass every check", "[fuzz]") {
    uint32_t x = 24680;
    idmap_model::HarnessStats stats;
    for (unsigned hint = 0; hint < 2; ++hint) {
        for (unsigned kind = 0; kind < 16; ++kind) {  // kFuzzMaps, the EL1&0 identity map, stage 2
            for (unsigned root = 0; root < 4; root += 1 + hint) {
                run_generated(static_cast<uint8_t>(8 + kind % 8), map_byte(kind, root, hint), x, stats);  // any of 8 to 18: the same calls
            }
        }
    }
    CHECK(stats.change_attrs_by_status[IDMAP_OK] > 0);
    CHECK(stats.change_attrs_by_status[IDMAP_ERR_INVALID_FLAGS] > 0);
    CHECK(stats.change_attrs_by_status[IDMAP_ERR_BREAK_BEFORE_MAKE] > 0);
    CHECK(stats.change_attrs_live_ok > 0);
    CHECK(stats.change_attrs_empty > 0);
    CHECK(stats.runs_merged > 0);
    CHECK(stats.runs_stopped > 0);
}

// The output set (first byte 24 to 31, then an extended input's first byte, bit 6 taken
// as set; fuzz_driver.hpp): idmap_map_range_to (at stage 2 also idmap_s2_map_range_bbm_to)
// among the attributes set's calls, on the maps the attributes set test drives, inputs
// from the same LCG: every check must pass, and together they must reach maps to another
// output address than the map's own, blocks there, both refusals of pa (its offset in its
// page, an output range past 2^48), live changes of output addresses (refused for
// break-before-make, and made by the stage-2 break-before-make calls), and modify
// callbacks refused making valid an entry at another output address.
TEST_CASE("fuzz inputs of the output set (map_range_to) pass every check", "[fuzz]") {
    uint32_t x = 13579;
    idmap_model::HarnessStats stats;
    for (unsigned hint = 0; hint < 2; ++hint) {
        for (unsigned kind = 0; kind < 16; ++kind) {  // kFuzzMaps, the EL1&0 identity map, stage 2
            for (unsigned root = 0; root < 4; root += 1 + hint) {
                run_generated(static_cast<uint8_t>(24 + kind % 8), map_byte(kind, root, hint), x, stats);
            }
        }
    }
    INFO("map_range_to calls " << stats.maps_to << ", OK " << stats.maps_to_by_status[IDMAP_OK] << ", elsewhere "
                               << stats.maps_to_foreign_ok << ", blocks there " << stats.foreign_blocks
                               << ", PA_PAGE_OFFSET " << stats.pa_page_offset << ", past 2^48 "
                               << stats.output_past_48 << ", live output changes refused "
                               << stats.bbm_output_refused << ", made by bbm " << stats.bbm_moves
                               << ", made valid elsewhere by modify " << stats.foreign_validations_refused);
    CHECK(stats.maps_to_foreign_ok > 0);
    CHECK(stats.foreign_blocks > 0);
    CHECK(stats.pa_page_offset > 0);
    CHECK(stats.output_past_48 > 0);
    CHECK(stats.bbm_output_refused > 0);
    CHECK(stats.bbm_moves > 0);
    CHECK(stats.foreign_validations_refused > 0);
}

// The features set (first byte 21 to 23, then as the output set; fuzz_driver.hpp):
// idmap_set_guarded_code among the output set's calls, many live changes, on a fake CPU
// with FEAT_BTI and FEAT_TLBIRANGE (21), FEAT_BTI alone (22), FEAT_TLBIRANGE alone (23),
// on the maps the output set test drives, inputs from the same LCG: every check must
// pass, and together they must reach maps under guarded code writing GP leaves,
// set_guarded_code refused (stage 2, no FEAT_BTI), live changes past 16 entries
// invalidated by range TLBIs, and the whole regime past 2^21 - 1 pages or without
// FEAT_TLBIRANGE.
TEST_CASE("fuzz inputs of the features set (guarded code, range TLBIs) pass every check", "[fuzz]") {
    uint32_t x = 97531;
    idmap_model::HarnessStats stats;
    for (unsigned cpu = 21; cpu < 24; ++cpu) {
        for (unsigned kind = 0; kind < 16; ++kind) {  // kFuzzMaps, the EL1&0 identity map, stage 2
            for (unsigned root = kind % 2; root < 4; root += 2) {
                run_generated(static_cast<uint8_t>(cpu), map_byte(kind, root, (root / 2)), x, stats);
            }
        }
    }
    INFO("guarded maps " << stats.guarded_maps << ", GP leaves " << stats.gp_leaves << ", NO_BTI refusals "
                         << stats.no_bti_refusals << ", range syncs " << stats.tlbi_range_syncs << ", range TLBIs "
                         << stats.tlbi_ranges << ", whole regime past 2^21 - 1 pages " << stats.tlbi_range_fallbacks
                         << ", whole regime " << stats.tlbi_regime);
    CHECK(stats.guarded_maps > 0);
    CHECK(stats.gp_leaves > 0);
    CHECK(stats.no_bti_refusals > 0);
    CHECK(stats.tlbi_range_syncs > 0);
    CHECK(stats.tlbi_ranges > 0);
    CHECK(stats.tlbi_range_fallbacks > 0);
    CHECK(stats.tlbi_regime > stats.tlbi_range_fallbacks);
}

namespace {

struct Leaves {
    std::vector<uint64_t> bits;
};

int collect(const idmap_region_t*, const idmap_descriptor_t* d, unsigned, void* ctx) {
    static_cast<Leaves*>(ctx)->bits.push_back(d->bits);
    return 0;
}

// The 16 GiB blocks [0, 16 GiB) of a root-level-1 map with the hint on, mapped with
// NO_CONTIGUOUS_HINT (a group that may be hinted, and is not): how many hold bit 52 after
// call(map).
template <class Call>
unsigned hinted_after(Call&& call) {
    idmap_t* map = idmap_new(1, 1);
    REQUIRE(map != nullptr);
    REQUIRE(idmap_set_contiguous_hint(map, true) == IDMAP_OK);
    const idmap_region_t blocks = idmap_region(0, uint64_t{16} << 30);
    REQUIRE(idmap_map_range_with_constraints(map, &blocks, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID,
                                             IDMAP_NO_CONTIGUOUS_HINT) == IDMAP_OK);
    call(map);
    Leaves leaves;
    REQUIRE(idmap_walk_range(map, &blocks, &collect, &leaves) == IDMAP_OK);
    idmap_free(map);
    REQUIRE(leaves.bits.size() == 16);
    unsigned hinted = 0;
    for (uint64_t b : leaves.bits) {
        hinted += (b >> 52) & 1;
    }
    return hinted;
}

}  // namespace

// Was a library bug, found by the model of the contiguous hint: a call on an EMPTY range
// [x, x) of an inactive map with the hint on regroups groups of the root table, which the
// contract (idmap.h, idmap_set_contiguous_hint: "each aligned group of 16 leaves in the
// range changed") does not allow: the range changes nothing. Mapping::regroup computes the
// groups from index(va) & ~15 to index(end - 1) | 15; for end == va that is the group around
// va (inside a root entry), and for va = 0 (end - 1 wrapping) every group of the root
// table. Minimal sequence: idmap_new(1, 1); idmap_set_contiguous_hint(map, true);
// idmap_map_range_with_constraints(map, [0, 16 GiB), NORMAL | VALID, NO_CONTIGUOUS_HINT)
// (16 blocks, no hint); then any of idmap_map_range(map, [0, 0), ...),
// idmap_unmap_range(map, [0x1000, 0x1000)), idmap_modify_range(map, [0, 0), fn): answers
// OK and sets bit 52 on all 16 blocks (and unmap_range of an empty range, which must change
// nothing, writes them). Fixed: an empty range regroups nothing.
TEST_CASE("regression: a call on an empty range regroups no contiguous group",
          "[fuzz][contiguous]") {
    CHECK(hinted_after([](idmap_t*) {}) == 0);  // the setup: not hinted
    CHECK(hinted_after([](idmap_t* map) {
              const idmap_region_t empty{0, 0};
              REQUIRE(idmap_map_range(map, &empty, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID) == IDMAP_OK);
          }) == 0);
    CHECK(hinted_after([](idmap_t* map) {
              const idmap_region_t empty{0x1000, 0x1000};
              REQUIRE(idmap_unmap_range(map, &empty) == IDMAP_OK);
          }) == 0);
}

namespace {

int clear_valid(const idmap_region_t*, idmap_descriptor_t* d, unsigned, void*) {
    d->bits &= ~IDMAP_ATTR_VALID;
    return 0;
}
int set_valid(const idmap_region_t*, idmap_descriptor_t* d, unsigned, void*) {
    d->bits |= IDMAP_ATTR_VALID;
    return 0;
}

}  // namespace

// Was a library bug, found reading the model of the contiguous hint against Mapping::regroup: a
// group that loses its hint keeps bit 52 on its INVALID entries (regroup clears valid
// leaves only); making such an entry valid again on an ACTIVE map (no regroup there, and
// needs_break_before_make lets an invalid entry become valid) leaves a live group of one
// valid page with the contiguous bit and 15 without: a misprogrammed contiguous group
// (Arm ARM D8.6.1), which idmap_set_contiguous_hint says never happens ("a group is always
// consistent"; "on an active map no hint is added"). Minimal sequence: idmap_new(1, 1);
// idmap_set_contiguous_hint(map, true); idmap_map_range(map, [0x80000000, 0x80010000),
// NORMAL | VALID) (one hinted group); idmap_modify_range(map, [0x80000000, 0x80001000),
// clear VALID) (the other 15 lose bit 52, the invalid page keeps it); idmap_activate(map);
// idmap_modify_range(map, [0x80000000, 0x80001000), set VALID): OK, and the page at
// 0x80000000 is 0x0010000080000707 (valid, bit 52) next to 0x80001707 ... 0x8000f707.
// Fixed: a group that loses its hint loses it on its invalid entries too.
TEST_CASE("regression: an invalid entry keeps no stale contiguous bit to break a live group with",
          "[fuzz][contiguous]") {
    idmap_t* map = idmap_new(1, 1);
    REQUIRE(map != nullptr);
    REQUIRE(idmap_set_contiguous_hint(map, true) == IDMAP_OK);
    const idmap_region_t group = idmap_region(0x80000000, 0x80010000);
    const idmap_region_t one = idmap_region(0x80000000, 0x80001000);
    REQUIRE(idmap_map_range(map, &group, IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID) == IDMAP_OK);
    REQUIRE(idmap_modify_range(map, &one, &clear_valid, nullptr) == IDMAP_OK);
    REQUIRE(idmap_activate(map) == IDMAP_OK);
    const idmap_status_t st = idmap_modify_range(map, &one, &set_valid, nullptr);
    Leaves leaves;
    REQUIRE(idmap_walk_range(map, &group, &collect, &leaves) == IDMAP_OK);
    REQUIRE(leaves.bits.size() == 16);
    unsigned valid_hinted = 0, valid = 0;
    for (uint64_t b : leaves.bits) {
        valid += b & 1;
        valid_hinted += (b & 1) != 0 && ((b >> 52) & 1) != 0;
    }
    INFO("modify answered " << st);
    // Consistent: no valid entry with the bit, or all 16 valid with it.
    CHECK((valid_hinted == 0 || (valid == 16 && valid_hinted == 16)));
    idmap_free(map);
}

// idmap.h: pa is the output address of the range's first page, its start rounded down
// (as idmap_region() rounds it): a ragged start takes a page-aligned pa, which maps the
// start's byte as far into its page; map_range_with_constraints is map_range_to with the
// map's own output address of that page.
TEST_CASE("idmap_map_range_to: pa is the output address of the range's first page", "[fuzz]") {
    idmap_t* map = idmap_new(1, 1);
    REQUIRE(map != nullptr);
    const uint64_t rw = IDMAP_ATTR_NORMAL | IDMAP_ATTR_VALID;
    const idmap_region_t ragged{0x40000123, 0x40002000};
    CHECK(idmap_map_range_to(map, &ragged, ragged.start, rw, 0) == IDMAP_ERR_INVALID_ARGUMENT);
    CHECK(idmap_last_error(map)->value == (IDMAP_ARG_PA_PAGE_OFFSET | uint64_t{4} << 16));
    CHECK(idmap_last_error(map)->region.start == 0x40000000);
    CHECK(idmap_map_range_to(map, &ragged, 0x80000000, rw, 0) == IDMAP_OK);
    Leaves leaves;
    REQUIRE(idmap_walk_range(map, &ragged, &collect, &leaves) == IDMAP_OK);
    REQUIRE(leaves.bits.size() == 2);
    CHECK((leaves.bits[0] & 0xfffffffff000) == 0x80000000);
    // The map's own output address of the first page: itself.
    REQUIRE(idmap_map_range_with_constraints(map, &ragged, rw, 0) == IDMAP_OK);
    leaves.bits.clear();
    REQUIRE(idmap_walk_range(map, &ragged, &collect, &leaves) == IDMAP_OK);
    CHECK((leaves.bits.at(0) & 0xfffffffff000) == 0x40000000);
    idmap_free(map);
}

// The dirty set (first byte 19 or 20, then as the output set; fuzz_driver.hpp):
// idmap_set_hardware_updates, idmap_collect_dirty and the MMU's writes through clean
// leaves among the features set's calls, on a fake CPU with the dirty state (19) or the
// Access flag alone (20), on the maps the output set test drives, inputs from the same
// LCG: every check must pass, and together they must reach maps under dirty tracking,
// leaves written by the MMU, collects that report pages and, on active maps, make leaves
// clean (with their TLB maintenance checked), and refusals for want of FEAT_HAFDBS; maps
// protecting their own tables, refusals for tables not mapped by pages, and changes
// refused for read-only tables.
TEST_CASE("fuzz inputs of the dirty set (hardware updates, collect_dirty) pass every check", "[fuzz][dirty]") {
    uint32_t x = 86420;
    idmap_model::HarnessStats stats;
    for (unsigned cpu = 19; cpu < 21; ++cpu) {
        for (unsigned kind = 0; kind < 16; ++kind) {  // kFuzzMaps, the EL1&0 identity map, stage 2
            for (unsigned root = kind % 2; root < 4; root += 2) {
                run_generated(static_cast<uint8_t>(cpu), map_byte(kind, root, (root / 2)), x, stats);
            }
        }
    }
    INFO("tracked maps " << stats.tracked_maps << ", leaves written by the MMU " << stats.hardware_writes
                         << ", collects " << stats.collects << ", live ones making leaves clean "
                         << stats.live_collects << ", dirty pages reported " << stats.dirty_pages
                         << ", NO_HAFDBS refusals " << stats.no_hafdbs_refusals << ", tables protected "
                         << stats.protects << ", refused for tables not mapped by pages " << stats.protect_refusals
                         << ", changes refused for read-only tables " << stats.read_only_refusals);
    CHECK(stats.tracked_maps > 0);
    CHECK(stats.hardware_writes > 0);
    CHECK(stats.collects > 0);
    CHECK(stats.live_collects > 0);
    CHECK(stats.dirty_pages > 0);
    CHECK(stats.no_hafdbs_refusals > 0);
    CHECK(stats.protects > 0);
    CHECK(stats.protect_refusals > 0);
    CHECK(stats.read_only_refusals > 0);
}

// The splits set (first byte 16 or 18, then as the output set; fuzz_driver.hpp):
// idmap_set_live_splits among the dirty set's calls, with changes across blocks' edges on
// active maps, on a fake CPU with FEAT_BBM level 1 (18) or without it (16), on the maps
// the dirty set test drives, inputs from the same LCG: every check must pass, and together
// they must reach live blocks split with nT at both stages (their TLB maintenance checked
// as map_range_bbm's breaks are), refusals for want of FEAT_BBM, and live changes still
// refused for break-before-make.
TEST_CASE("fuzz inputs of the splits set (live splits) pass every check", "[fuzz][live_splits]") {
    uint32_t x = 75319;
    idmap_model::HarnessStats stage1, stage2;
    for (unsigned cpu = 16; cpu < 19; cpu += 2) {
        for (unsigned kind = 0; kind < 16; ++kind) {  // kFuzzMaps, the EL1&0 identity map, stage 2
            for (unsigned root = kind % 2; root < 4; root += 2) {
                run_generated(static_cast<uint8_t>(cpu), map_byte(kind, root, (root / 2)), x,
                              kind > 8 ? stage2 : stage1);
            }
        }
    }
    INFO("live splits at stage 1 " << stage1.live_splits << ", at stage 2 " << stage2.live_splits
                                   << ", NO_BBM refusals " << stage1.no_bbm_refusals + stage2.no_bbm_refusals
                                   << ", break-before-make refusals "
                                   << stage1.by_status[IDMAP_ERR_BREAK_BEFORE_MAKE] +
                                          stage2.by_status[IDMAP_ERR_BREAK_BEFORE_MAKE]);
    CHECK(stage1.live_splits > 0);
    CHECK(stage2.live_splits > 0);
    CHECK(stage1.no_bbm_refusals + stage2.no_bbm_refusals > 0);
    CHECK(stage1.by_status[IDMAP_ERR_BREAK_BEFORE_MAKE] > 0);
}
