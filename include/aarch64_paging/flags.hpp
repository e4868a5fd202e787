// Bitwise operators for the flag enums (Attributes, Constraints): type-safe flags that
// combine with |, & and ~ and never mix with one another or with plain integers.
// (__underlying_type is the compiler builtin behind std::underlying_type, used because a
// freestanding build has no <type_traits>.)
#ifndef AARCH64_PAGING_FLAGS_HPP
#define AARCH64_PAGING_FLAGS_HPP

#define AARCH64_PAGING_FLAG_OPERATORS(E)                                                   \
    constexpr __underlying_type(E) bits(E a) { return static_cast<__underlying_type(E)>(a); } \
    constexpr E operator|(E a, E b) { return E(bits(a) | bits(b)); }                         \
    constexpr E operator&(E a, E b) { return E(bits(a) & bits(b)); }                         \
    constexpr E operator^(E a, E b) { return E(bits(a) ^ bits(b)); }                         \
    constexpr E operator~(E a) { return E(~bits(a)); }                                       \
    constexpr E& operator|=(E& a, E b) { return a = a | b; }                                 \
    constexpr E& operator&=(E& a, E b) { return a = a & b; }                                 \
    /* Every bit of b is set in a. */                                                      \
    constexpr bool contains(E a, E b) { return (a & b) == b; }                               \
    /* a and b share a bit. */                                                             \
    constexpr bool intersects(E a, E b) { return bits(a & b) != 0; }

#endif
