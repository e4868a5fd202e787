/// @file
/// Bitwise operators for the flag enums (Attributes, Constraints): type-safe flags that
/// combine with |, & and ~ and never mix with one another or with plain integers.
/// (__underlying_type is the compiler builtin behind std::underlying_type, used because a
/// freestanding build has no `<type_traits>`.)
#ifndef AARCH64_PAGING_FLAGS_HPP
#define AARCH64_PAGING_FLAGS_HPP

/// Defines the flag operators of the enum type E, in E's namespace:
/// - `bits(E a)`: the underlying integer of a;
/// - `a | b`, `a & b`, `a ^ b`, `~a`, `a |= b`, `a &= b`: bitwise, answering an E;
/// - `contains(E a, E b)`: every bit of b is set in a;
/// - `intersects(E a, E b)`: a and b share a bit.
///
/// Attributes and Constraints have them.
// E is a type: it cannot be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
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
// NOLINTEND(bugprone-macro-parentheses)

#endif
