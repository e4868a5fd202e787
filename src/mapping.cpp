// The core for the 4 KiB granule and identity-translated table pages, compiled once into
// the library; other instantiations are compiled where they are used.
#include "aarch64_paging/mapping.hpp"

namespace aarch64_paging {

template class Mapping<Granule4K, IdTranslation>;

}  // namespace aarch64_paging
