// The C ABI of the linter, over aarch64_paging::lint: trees and findings are converted
// one at a time, as the linter asks for and gives them, so no array of either is copied.
#include "aarch64_paging/lint.hpp"
#include "handle.hpp"
#include "idmap.h"

using aarch64_paging::LintFinding;
using aarch64_paging::LintKind;
using aarch64_paging::LintOptions;
using aarch64_paging::LintReport;
using aarch64_paging::LintSink;
using aarch64_paging::LintTree;
using aarch64_paging::LintTrees;
using aarch64_paging::Result;
using aarch64_paging::Status;

namespace {

// The C names are the C++ values; the conversions below rely on it.
static_assert(IDMAP_LINT_RES0_BITS == static_cast<int>(LintKind::Res0Bits) &&
                  IDMAP_LINT_RES1_CLEAR == static_cast<int>(LintKind::Res1Clear) &&
                  IDMAP_LINT_BLOCK_NOT_ALLOWED == static_cast<int>(LintKind::BlockNotAllowed) &&
                  IDMAP_LINT_MISALIGNED_OUTPUT == static_cast<int>(LintKind::MisalignedOutput) &&
                  IDMAP_LINT_CONTIGUOUS == static_cast<int>(LintKind::Contiguous) &&
                  IDMAP_LINT_TABLE_OUTSIDE_POOL == static_cast<int>(LintKind::TableOutsidePool) &&
                  IDMAP_LINT_TABLE_LOOP == static_cast<int>(LintKind::TableLoop) &&
                  IDMAP_LINT_TABLE_SHARED == static_cast<int>(LintKind::TableShared) &&
                  IDMAP_LINT_WX_ALIAS == static_cast<int>(LintKind::WxAlias) &&
                  IDMAP_LINT_UNGUARDED_CODE == static_cast<int>(LintKind::UnguardedCode) &&
                  IDMAP_LINT_TABLE_WRITABLE == static_cast<int>(LintKind::TableWritable),
              "idmap_lint_kind_t is LintKind");
static_assert(IDMAP_REGIME_EL1_0 == static_cast<int>(aarch64_paging::TranslationRegime::El1And0) &&
                  IDMAP_REGIME_EL2 == static_cast<int>(aarch64_paging::TranslationRegime::El2) &&
                  IDMAP_REGIME_EL2_0 == static_cast<int>(aarch64_paging::TranslationRegime::El2And0) &&
                  IDMAP_REGIME_EL3 == static_cast<int>(aarch64_paging::TranslationRegime::El3) &&
                  IDMAP_REGIME_STAGE2 == static_cast<int>(aarch64_paging::TranslationRegime::Stage2),
              "idmap_regime_t is TranslationRegime");
static_assert(IDMAP_LINT_CHECK_STRUCTURE == aarch64_paging::lint_checks::STRUCTURE &&
                  IDMAP_LINT_CHECK_WX_ALIASES == aarch64_paging::lint_checks::WX_ALIASES &&
                  IDMAP_LINT_CHECK_GUARDED == aarch64_paging::lint_checks::GUARDED &&
                  IDMAP_LINT_FEATURE_BTI == aarch64_paging::lint_features::BTI &&
                  IDMAP_LINT_FEATURE_BBM == aarch64_paging::lint_features::BBM &&
                  IDMAP_LINT_FEATURE_XNX == aarch64_paging::lint_features::XNX &&
                  IDMAP_LINT_SCRATCH_WORDS(3, 5) == aarch64_paging::lint_scratch_words(3, 5),
              "the linter's C constants are the C++ ones");

// A C caller may store any int in an enum field (C enums are ints); read it as one.
template <class E>
int int_of(const E& e) {
    static_assert(sizeof(E) == sizeof(int), "C enums are int-sized");
    int v;
    __builtin_memcpy(&v, &e, sizeof v);
    return v;
}

idmap_lint_finding_t to_c(const LintFinding& f) {
    return idmap_lint_finding_t{static_cast<idmap_lint_kind_t>(f.kind), f.level, f.index, f.tree,
                                f.other_tree, f.va, f.descriptor, f.bits, f.other_va, f.pa, f.size};
}

LintKind kind_of(const idmap_lint_finding_t& f) {
    const int kind = int_of(f.kind);
    return static_cast<LintKind>(kind > 0 && kind <= 0xff ? kind : 0);
}

struct COut {
    idmap_lint_finding_t* out;
    size_t max;
};

void to_c_array(void* ctx, size_t n, const LintFinding& finding) {
    const auto* c = static_cast<const COut*>(ctx);
    if (n < c->max) {
        c->out[n] = to_c(finding);
    }
}

LintOptions options_of(const idmap_lint_options_t* o) {
    LintOptions options;
    if (o != nullptr) {
        options.checks = o->checks;
        options.features = o->features;
        options.scratch = o->scratch;
        options.scratch_words = o->scratch_words;
    }
    return options;
}

// The maps of idmap_lint and idmap_lint_wx_aliases: ctx is an array of map pointers.
bool map_source(const void* ctx, size_t index, LintTree& tree) {
    const idmap* map = static_cast<const idmap* const*>(ctx)[index];
    if (map == nullptr) {
        return false;
    }
    tree = aarch64_paging::lint_tree(map->mapping);
    return true;
}

// A C tree's pools, searched for the page at pa; ctx is the idmap_lint_tree_t.
const void* c_pools(void* ctx, uint64_t pa) {
    const auto* t = static_cast<const idmap_lint_tree_t*>(ctx);
    for (size_t i = 0; i < t->pool_count; ++i) {
        const idmap_lint_pool_t& pool = t->pools[i];
        if (pa >= pool.base && pool.size >= 4096 && pa - pool.base <= pool.size - 4096) {
            return pool.data != nullptr ? static_cast<const char*>(pool.data) + (pa - pool.base)
                                        : reinterpret_cast<const void*>(static_cast<uintptr_t>(pa));
        }
    }
    return nullptr;
}

// The trees of idmap_lint_raw: ctx is the C array.
bool raw_source(const void* ctx, size_t index, LintTree& tree) {
    const idmap_lint_tree_t& t = static_cast<const idmap_lint_tree_t*>(ctx)[index];
    const int regime = int_of(t.regime);
    if (regime < 0 || regime > 0xff) {
        return false;
    }
    tree.root = t.root;
    tree.root_level = t.root_level;
    tree.root_tables = t.root_tables;  // the core checks it
    tree.regime = static_cast<aarch64_paging::TranslationRegime>(regime);  // the core checks it
    if (t.translate != nullptr) {
        tree.translate = t.translate;
        tree.ctx = t.ctx;
        return true;
    }
    if (t.pools == nullptr || t.pool_count == 0) {
        return false;
    }
    for (size_t i = 0; i < t.pool_count; ++i) {
        if ((t.pools[i].base & 0xfff) != 0) {
            return false;
        }
    }
    // The pools are read through c_pools, which only reads the tree: the cast drops a
    // const that LintTree's general-purpose ctx cannot carry.
    tree.translate = &c_pools;
    tree.ctx = const_cast<idmap_lint_tree_t*>(&t);
    return true;
}

Result run(const LintTrees& trees, const idmap_lint_options_t* options, idmap_lint_finding_t* out, size_t max,
           idmap_lint_report_t* report, bool wx_only, uint32_t features = 0, uint32_t checks = 0) {
    LintReport r;
    Result result = Status::InvalidArgument;
    if (out != nullptr || max == 0) {
        LintOptions o = options_of(options);
        o.features |= features;
        o.checks = wx_only ? aarch64_paging::lint_checks::WX_ALIASES
                           : (o.checks != 0 ? o.checks : aarch64_paging::lint_checks::ALL) | checks;
        COut c{out, out != nullptr ? max : 0};
        result = aarch64_paging::lint(trees, o, LintSink{&to_c_array, &c}, r);
    }
    if (report != nullptr) {
        *report = idmap_lint_report_t{r.findings, r.tables, r.runs, r.scratch_words};
    }
    return result;
}

}  // namespace

extern "C" {

idmap_status_t idmap_lint(const idmap_t* map, const idmap_lint_options_t* options,
                          idmap_lint_finding_t* out, size_t max, idmap_lint_report_t* report) {
    if (map == nullptr) {
        if (report != nullptr) {
            *report = idmap_lint_report_t{0, 0, 0, 0};
        }
        return IDMAP_ERR_INVALID_ARGUMENT;
    }
    const idmap* maps[1] = {map};
    // A stage-2 map made for a CPU with FEAT_XNX has XN[0], one with guarded code GP on
    // every executable leaf: the map says so.
    namespace lint = aarch64_paging;
    const bool guarded = map->mapping.guarded_code();
    const uint32_t features = (map->mapping.has_xnx() ? lint::lint_features::XNX : 0) |
                              (guarded ? lint::lint_features::BTI : 0);
    return idmap_capi::record(map, run(LintTrees{&map_source, maps, 1}, options, out, max, report, false, features,
                                       guarded ? lint::lint_checks::GUARDED : 0));
}

idmap_status_t idmap_lint_raw(const idmap_lint_tree_t* trees, size_t count,
                              const idmap_lint_options_t* options, idmap_lint_finding_t* out,
                              size_t max, idmap_lint_report_t* report) {
    // A null array with trees gets no source: the core refuses that.
    const Result r = run(LintTrees{trees != nullptr ? &raw_source : nullptr, trees, count}, options, out, max,
                         report, false);
    return static_cast<idmap_status_t>(r.status());
}

idmap_status_t idmap_lint_wx_aliases(const idmap_t* const* maps, size_t count,
                                     const idmap_lint_options_t* options,
                                     idmap_lint_finding_t* out, size_t max,
                                     idmap_lint_report_t* report) {
    const Result r = run(LintTrees{maps != nullptr ? &map_source : nullptr, maps, count}, options, out, max,
                         report, true);
    return static_cast<idmap_status_t>(r.status());
}

const char* idmap_lint_kind_str(idmap_lint_kind_t kind) {
    idmap_lint_finding_t f{};
    f.kind = kind;
    return aarch64_paging::lint_kind_str(kind_of(f));
}

size_t idmap_lint_finding_text(const idmap_lint_finding_t* finding, char* buf, size_t len) {
    if (finding == nullptr) {
        if (buf != nullptr && len != 0) {
            buf[0] = '\0';
        }
        return 0;
    }
    const idmap_lint_finding_t& f = *finding;
    LintFinding c;
    c.kind = kind_of(f);
    c.level = static_cast<uint8_t>(f.level);
    c.index = static_cast<uint16_t>(f.index);
    c.tree = f.tree;
    c.other_tree = f.other_tree;
    c.va = f.va;
    c.descriptor = f.descriptor;
    c.bits = f.bits;
    c.other_va = f.other_va;
    c.pa = f.pa;
    c.size = f.size;
    return aarch64_paging::format_finding(c, buf, len);
}

}  // extern "C"
