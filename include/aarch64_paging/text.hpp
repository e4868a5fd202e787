// Text output without printf: a small buffered writer over a callback, used by the
// dump and by MapError::format. No allocation; the buffer is on the caller's stack.
#ifndef AARCH64_PAGING_TEXT_HPP
#define AARCH64_PAGING_TEXT_HPP

#include <stddef.h>
#include <stdint.h>

namespace aarch64_paging {

class TextWriter {
public:
    using WriteFn = void (*)(void* ctx, const char* text, size_t len);

    TextWriter(WriteFn write, void* ctx) : write_(write), ctx_(ctx) {}
    ~TextWriter() { flush(); }
    TextWriter(const TextWriter&) = delete;
    TextWriter& operator=(const TextWriter&) = delete;

    TextWriter& str(const char* text);
    TextWriter& chr(char c);
    // "0x" and lowercase hex digits, at least min_digits of them.
    TextWriter& hex(uint64_t value, unsigned min_digits = 1);
    TextWriter& dec(uint64_t value);
    TextWriter& spaces(unsigned count);
    void flush();

private:
    WriteFn write_;
    void* ctx_;
    char buf_[120];
    size_t len_ = 0;
};

}  // namespace aarch64_paging

#endif
