// Package idx reads IDX files, the format of MNIST and Fashion-MNIST
// (images and labels), gzip-compressed or not. Only unsigned-byte data
// (type 0x08) is read, the type of both data sets.
//
// What a file declares is checked before anything is allocated: at most
// MaxDims dimensions, each positive, their product at most MaxBytes, and
// the data must be exactly as long as declared.
package idx
