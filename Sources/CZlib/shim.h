// zlib, for the gzip-compressed data sets (IDX files, CIFAR-10 tarball).
#include <zlib.h>
