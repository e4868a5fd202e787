// libFuzzer target: drives the C ABI from arbitrary bytes (tests/model/fuzz_driver.hpp)
// and checks the reference model and every invariant of tests/model/harness.hpp after
// each call. A failed check prints what differed and the calls that led to it, then
// aborts, so that libFuzzer saves the input (make fuzz; fuzz/fuzz.mk).
#include "../tests/model/fuzz_driver.hpp"

#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string failure = idmap_model::run_fuzz_input(data, size);
    if (!failure.empty()) {
        std::fprintf(stderr, "idmap fuzz: %s\n", failure.c_str());
        std::abort();
    }
    return 0;
}
