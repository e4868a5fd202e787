// Host tests of the C ABI: the text the library produces — idmap_status_str,
// idmap_format_error (snprintf semantics, one line) and idmap_dump (the tree, runs of
// empty entries folded) (shared/spec/c-abi.md).
#include <catch2/catch.hpp>

#include <idmap.h>

#include "support/capi_support.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <vector>

using namespace capi_test;

namespace {

const idmap_status_t kAllStatuses[] = {
    IDMAP_OK,
    IDMAP_ERR_ADDRESS_RANGE,
    IDMAP_ERR_INVALID_VIRTUAL_ADDRESS,
    IDMAP_ERR_REGION_BACKWARDS,
    IDMAP_ERR_PTE_UPDATE_FAULT,
    IDMAP_ERR_INVALID_FLAGS,
    IDMAP_ERR_BREAK_BEFORE_MAKE,
    IDMAP_ERR_OUT_OF_MEMORY,
    IDMAP_ERR_INVALID_ARGUMENT,
    IDMAP_ERR_ALREADY_ACTIVE,
    IDMAP_ERR_NOT_ACTIVE,
    IDMAP_ERR_PREFLIGHT,
};

// The whole line, through a buffer large enough.
std::string format(const idmap_error_t& e) {
    const size_t n = idmap_format_error(&e, nullptr, 0);
    std::string s(n + 1, '\0');
    REQUIRE(idmap_format_error(&e, &s[0], s.size()) == n);
    s.resize(n);
    return s;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// Every number written as 0x<hex> in text.
std::vector<uint64_t> hex_numbers(const std::string& text) {
    std::vector<uint64_t> out;
    const std::string t = lower(text);
    for (size_t i = t.find("0x"); i != std::string::npos; i = t.find("0x", i + 2)) {
        size_t j = i + 2;
        uint64_t v = 0;
        bool any = false;
        while (j < t.size() && (std::isxdigit(static_cast<unsigned char>(t[j])) || t[j] == '_')) {
            if (t[j] != '_') {
                const char c = t[j];
                v = (v << 4) | uint64_t(c <= '9' ? c - '0' : c - 'a' + 10);
                any = true;
            }
            ++j;
        }
        if (any) out.push_back(v);
    }
    return out;
}

bool mentions(const std::string& text, uint64_t value) {
    const std::vector<uint64_t> v = hex_numbers(text);
    return std::find(v.begin(), v.end(), value) != v.end();
}

void append(void* ctx, const char* text, size_t len) {
    REQUIRE(text != nullptr);
    static_cast<std::string*>(ctx)->append(text, len);
}

std::string dump(const idmap_t* m) {
    std::string out;
    idmap_dump(m, append, &out);
    return out;
}

size_t lines(const std::string& s) {
    if (s.empty()) return 0;
    return size_t(std::count(s.begin(), s.end(), '\n')) + (s.back() == '\n' ? 0 : 1);
}

}  // namespace

TEST_CASE("status_str names every status, each differently", "[text]") {
    std::set<std::string> seen;
    for (idmap_status_t s : kAllStatuses) {
        CAPTURE(int(s));
        const char* str = idmap_status_str(s);
        REQUIRE(str != nullptr);
        CHECK(std::strlen(str) > 0);
        CHECK(std::strchr(str, '\n') == nullptr);
        seen.insert(str);
    }
    CHECK(seen.size() == sizeof kAllStatuses / sizeof kAllStatuses[0]);
}

// Unknown statuses from C++ stay within the enum's range (0..15): forming any other value
// is undefined in C++. tests/c/error_handling.c passes (idmap_status_t)99, as C may.
TEST_CASE("status_str answers something for an unknown status", "[text]") {
    for (int v : {12, 13, 15}) {
        CAPTURE(v);
        const char* str = idmap_status_str(static_cast<idmap_status_t>(v));
        REQUIRE(str != nullptr);
        CHECK(std::strlen(str) > 0);
    }
}

TEST_CASE("format_error writes one line and returns its length, like snprintf", "[text]") {
    const idmap_error_t e{IDMAP_ERR_ADDRESS_RANGE, 0x8000000000ULL, {0, 0}, 0};
    const size_t n = idmap_format_error(&e, nullptr, 0);
    REQUIRE(n > 0);

    SECTION("a buffer large enough gets the whole line and a NUL") {
        char buf[256];
        std::memset(buf, 'X', sizeof buf);
        REQUIRE(n < sizeof buf);
        CHECK(idmap_format_error(&e, buf, sizeof buf) == n);
        CHECK(std::strlen(buf) == n);
        CHECK(std::strchr(buf, '\n') == nullptr);
        CHECK(buf[n + 1] == 'X');  // nothing written past the NUL
    }
    SECTION("a buffer of exactly n + 1 bytes gets the whole line") {
        std::vector<char> buf(n + 1, 'X');
        CHECK(idmap_format_error(&e, buf.data(), buf.size()) == n);
        CHECK(buf[n] == '\0');
        CHECK(std::string(buf.data()) == format(e));
    }
    SECTION("len 0 writes nothing") {
        char buf[4] = {'X', 'X', 'X', 'X'};
        CHECK(idmap_format_error(&e, buf, 0) == n);
        CHECK(buf[0] == 'X');
    }
    SECTION("len 1 writes only the NUL") {
        char buf[4] = {'X', 'X', 'X', 'X'};
        CHECK(idmap_format_error(&e, buf, 1) == n);
        CHECK(buf[0] == '\0');
        CHECK(buf[1] == 'X');
    }
    SECTION("truncation writes len - 1 characters of the line and a NUL") {
        const std::string whole = format(e);
        for (size_t len : {size_t{2}, size_t{5}, n / 2 + 1, n}) {
            CAPTURE(len);
            std::vector<char> buf(len + 8, 'X');
            CHECK(idmap_format_error(&e, buf.data(), len) == n);
            CHECK(buf[len - 1] == '\0');
            CHECK(std::string(buf.data()) == whole.substr(0, len - 1));
            CHECK(buf[len] == 'X');
        }
    }
}

TEST_CASE("format_error mentions the offending address of ADDRESS_RANGE in hex", "[text]") {
    const idmap_error_t e{IDMAP_ERR_ADDRESS_RANGE, 0x8000000000ULL, {0, 0}, 0};
    const std::string line = format(e);
    CAPTURE(line);
    CHECK(mentions(line, 0x8000000000ULL));

    // And the one from a real failure: level 1 ends at 2^39; [2^39, 2^39 + 1) -> va
    // 0x80_0000_1000.
    Map m = new_map(1, 1);
    const idmap_region_t r{1ULL << 39, (1ULL << 39) + 1};
    REQUIRE(idmap_map_range(m.get(), &r, kRW) == IDMAP_ERR_ADDRESS_RANGE);
    const std::string real = format(*idmap_last_error(m.get()));
    CAPTURE(real);
    CHECK(mentions(real, 0x8000001000ULL));
}

TEST_CASE("format_error gives a distinct, non-empty line for every status", "[text]") {
    std::set<std::string> seen;
    for (idmap_status_t s : kAllStatuses) {
        CAPTURE(int(s));
        const idmap_error_t e{s, 0x1234000, {0x5000, 0x3000}, 0x0060000080200f05ULL};
        const std::string line = format(e);
        CAPTURE(line);
        CHECK_FALSE(line.empty());
        CHECK(line.find('\n') == std::string::npos);
        CHECK(line.find('\0') == std::string::npos);
        seen.insert(line);
    }
    CHECK(seen.size() == sizeof kAllStatuses / sizeof kAllStatuses[0]);
}

TEST_CASE("format_error copes with an unknown status and NULL", "[text][errors]") {
    const idmap_error_t e{static_cast<idmap_status_t>(15), 0, {0, 0}, 0};
    char buf[128];
    const size_t n = idmap_format_error(&e, buf, sizeof buf);
    CHECK(n == std::strlen(buf));
    CHECK(idmap_format_error(nullptr, buf, sizeof buf) == 0);
    CHECK(idmap_format_error(nullptr, nullptr, 0) == 0);
}

TEST_CASE("dump of a fresh map folds the empty root into a few lines", "[text][dump]") {
    for (unsigned level = 0; level <= 3; ++level) {
        CAPTURE(level);
        Map m = new_map(1, level);
        const std::string text = dump(m.get());
        CAPTURE(text);
        CHECK_FALSE(text.empty());
        CHECK(lines(text) < 16);  // not one line per entry (512)
    }
}

TEST_CASE("dump mentions the mapped ranges and stays short", "[text][dump]") {
    Map m = new_map(1, 1);
    const idmap_region_t r = idmap_region(0x80200000, 0x80400000);
    REQUIRE(idmap_map_range(m.get(), &r, kRW | IDMAP_ATTR_NON_GLOBAL) == IDMAP_OK);
    const idmap_region_t dev = idmap_region(0x9000000, 0x9000000 + kPage);
    REQUIRE(idmap_map_range(m.get(), &dev, IDMAP_ATTR_DEVICE_NGNRE | IDMAP_ATTR_VALID) == IDMAP_OK);
    const std::string text = lower(dump(m.get()));
    CAPTURE(text);
    CHECK(text.find("80200000") != std::string::npos);
    CHECK(text.find("9000000") != std::string::npos);
    // Root (level 1), two level-2 tables, one level-3 table, with runs of empty entries
    // folded: far fewer lines than the 4 * 512 entries.
    CHECK(lines(text) < 64);
    // A different map dumps differently.
    Map other = new_map(1, 1);
    CHECK(lower(dump(other.get())) != text);
}

TEST_CASE("dump of NULL or without a writer does not crash", "[text][dump][errors]") {
    std::string out;
    idmap_dump(nullptr, append, &out);
    Map m = new_map(1, 1);
    idmap_dump(m.get(), nullptr, nullptr);
    SUCCEED("no crash");
}
