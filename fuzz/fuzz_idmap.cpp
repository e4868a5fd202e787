// libFuzzer target: drives the C ABI from arbitrary bytes (tests/model/fuzz_driver.hpp)
// and checks the reference model and every invariant of tests/model/harness.hpp after
// each call. A failed check prints what differed and the calls that led to it, then
// aborts, so that libFuzzer saves the input (make fuzz; fuzz/fuzz.mk).
//
// Every page a call changes is checked after it; the whole map again before it is freed
// for 1 input in 8 (chosen by its bytes, so that a failure replays): that walk guards the
// harness's bookkeeping and costs as much as the calls of a short input.
//
// With IDMAP_FUZZ_PROGRESS=N in the environment (make fuzz-long), a line every N seconds
// says how many inputs ran, of IDMAP_FUZZ_RUNS if set: libFuzzer itself prints only when
// it finds something new, and at powers of two, hours apart in a long run.
#include "../tests/model/fuzz_driver.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace {

class Progress {
public:
    Progress() {
        const char* every = std::getenv("IDMAP_FUZZ_PROGRESS");
        const char* runs = std::getenv("IDMAP_FUZZ_RUNS");
        every_ = std::chrono::seconds(every != nullptr ? std::strtoul(every, nullptr, 10) : 0);
        runs_ = runs != nullptr ? std::strtoull(runs, nullptr, 10) : 0;
        start_ = last_ = Clock::now();
    }

    void ran_one() {
        // The clock read once in 256 inputs: a few milliseconds apart.
        if (every_.count() == 0 || ++inputs_ % 256 != 0) {
            return;
        }
        const Clock::time_point now = Clock::now();
        if (now - last_ < every_) {
            return;
        }
        const double total_s = std::chrono::duration<double>(now - start_).count();
        const double recent_s = std::chrono::duration<double>(now - last_).count();
        (void)std::fprintf(stderr, "idmap fuzz: %llu inputs", static_cast<unsigned long long>(inputs_));
        if (runs_ != 0) {
            (void)std::fprintf(stderr, " of %llu (%.1f%%)", static_cast<unsigned long long>(runs_),
                         100.0 * static_cast<double>(inputs_) / static_cast<double>(runs_));
        }
        (void)std::fprintf(stderr, " in %.0f s: %.0f/s, %.0f/s since the last line\n", total_s,
                     static_cast<double>(inputs_) / total_s, static_cast<double>(inputs_ - last_inputs_) / recent_s);
        last_ = now;
        last_inputs_ = inputs_;
    }

private:
    using Clock = std::chrono::steady_clock;
    std::chrono::seconds every_{0};
    unsigned long long runs_ = 0;
    unsigned long long inputs_ = 0;
    unsigned long long last_inputs_ = 0;
    Clock::time_point start_, last_;
};

// Whether the input's map is checked whole before it is freed: a hash of its bytes.
bool final_check(const uint8_t* data, size_t size) {
    uint64_t h = size;
    for (size_t i = 0; i < size; ++i) {
        h = idmap_model::mix64(h ^ data[i]);
    }
    return h % 8 == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static Progress progress;
    const std::string failure = idmap_model::run_fuzz_input(data, size, nullptr, final_check(data, size));
    if (!failure.empty()) {
        (void)std::fprintf(stderr, "idmap fuzz: %s\n", failure.c_str());
        std::abort();
    }
    progress.ran_one();
    return 0;
}
