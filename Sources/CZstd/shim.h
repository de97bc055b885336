// The parts of libzstd the blob store uses: streaming compression and decompression.
#include <zstd.h>
