// Inputs of the fuzz target (fuzz/fuzz_idmap.cpp) replayed through the same driver and
// checks (tests/model/fuzz_driver.hpp), so that what the fuzzer once found stays fixed.
// To add a crash: the bytes of build/fuzz/crash-<sha1> as a string literal below, with a
// line saying what it found (`xxd -i` gives the bytes).
#include <catch2/catch.hpp>

#include "model/fuzz_driver.hpp"

#include <cstdint>
#include <string>

namespace {

struct Input {
    const char* what;
    std::string bytes;
};

const Input kInputs[] = {
    {"nothing: a root-level-0 map created and freed", std::string()},
    {"root level 3, a few calls", std::string("\x03\x00\x01\x10\x20\x30\x40\x50\x60\x70\x80\x90", 12)},
    {"root level 0, allocator failures (0x00 bytes pick budget 0)",
     std::string("\x00\x00\x00\x00\x05\x00\x00\x30\x00\x00\x00\x00\x00\x00\x11\x22\x33\x44", 18)},
};

}  // namespace

TEST_CASE("fuzz inputs found before still pass every check", "[fuzz]") {
    for (const Input& input : kInputs) {
        INFO(input.what);
        const std::string failure = idmap_model::run_fuzz_input(
            reinterpret_cast<const uint8_t*>(input.bytes.data()), input.bytes.size());
        INFO(failure);
        CHECK(failure.empty());
    }
}
