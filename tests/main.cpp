// The Catch2 main for build/host/tests/unit; the test cases are in the other tests/*.cpp.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
