/// @file
/// Text output without printf: a small buffered writer over a callback, used by the
/// dump and by MapError::format. No allocation; the buffer is on the caller's stack.
#ifndef AARCH64_PAGING_TEXT_HPP
#define AARCH64_PAGING_TEXT_HPP

#include <stddef.h>
#include <stdint.h>

namespace aarch64_paging {

/// Buffered text output through a callback, 120 characters at a time; each call answers
/// the writer, so that calls chain: `out.str("root ").hex(root).chr('\n')`.
class TextWriter {
public:
    /// The output: @p len characters of @p text (not NUL-terminated); the C ABI's
    /// idmap_write_fn.
    using WriteFn = void (*)(void* ctx, const char* text, size_t len);

    /// A writer that hands its text to @p write with @p ctx (a null write drops it).
    TextWriter(WriteFn write, void* ctx) : write_(write), ctx_(ctx) {}
    /// Flushes.
    ~TextWriter() { flush(); }
    TextWriter(const TextWriter&) = delete;
    TextWriter& operator=(const TextWriter&) = delete;

    /// The NUL-terminated @p text.
    TextWriter& str(const char* text);
    /// One character.
    TextWriter& chr(char c);
    /// "0x" and lowercase hex digits, at least min_digits of them.
    TextWriter& hex(uint64_t value, unsigned min_digits = 1);
    /// @p value in decimal.
    TextWriter& dec(uint64_t value);
    /// @p count spaces.
    TextWriter& spaces(unsigned count);
    /// Hands what is buffered to the callback now.
    void flush();

private:
    WriteFn write_;
    void* ctx_;
    char buf_[120];
    size_t len_ = 0;
};

}  // namespace aarch64_paging

#endif
