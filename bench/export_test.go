package bench

// Usage is usage, for the benchmarks of bench_test.go.
var Usage = usage
