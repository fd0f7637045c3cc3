;; SIMD128 single-precision matrix multiply for the CPU backend.
;;
;;   matmul(a, b, c, m, k, n, acc, work)
;;     C[m,n] (+)= A[m,k] · B[k,n]      row-major f32, byte addresses into this memory
;;
;; Contract (the JS wrapper in matmul.ts pads to meet it):
;;   m % 4 == 0 and n % 8 == 0; any k >= 0 (k == 0 gives C = 0, or C unchanged with acc).
;;   acc != 0 adds the product to the C already in memory; acc == 0 overwrites C.
;;   work: scratch of 8192 + m * min(k, 256) * 4 bytes (packed B panel, then packed A slice).
;;   16-byte aligned a, b, c and work keep every v128 access inside one cache line.
;;
;; Blocking. Measured on the development machine (AMD Zen 5, V8 in Node 20, a shared and busy
;; 2-core VM, so only differences well above ~20% were taken as real):
;;   * Register block: 4 rows x 8 columns of C = 8 v128 accumulators. With the two B vectors,
;;     the broadcast A value and a product temporary that is 12 of the 16 xmm registers V8
;;     allocates on x64. 6x8, 5x8, 4x12 and 3x16 blocks ran 2-3x slower (register spills, by
;;     all appearances); 2x16 tied with 4x8.
;;   * K is cut into slices of at most 256 (KC). Per slice, an 8-column panel of B
;;     (256 x 8 x 4 B = 8 KiB) is packed contiguously so it stays in L1 while every 4-row block
;;     of A streams past it; unpacked, its rows are n*4 bytes apart (4 KiB for n = 1024, all in
;;     one L1 set). The A slice (m x 256) is packed 4 rows interleaved, so the inner loop walks
;;     one pointer with immediate offsets (a little faster than four row pointers). Slicing K
;;     kept K = 4096 at full speed and was neutral for K <= 1024; KC of 128/512/1024 tied.
;;     Blocking M as well (whole B slice packed, row blocks of 32-128) gained nothing.
;;   * The inner loop is not unrolled over k: unrolling by 2 or 4 measured slower.
;;   * mul + add, not fused: relaxed-SIMD FMA is not available everywhere, and separate ops give
;;     the same bits in every engine.
;;
;; Memory is imported. scripts/build_wasm.mjs compiles this text twice: as written (a plain
;; memory) and with the memory declared `shared`, for the threaded matmul (matmul_threads.ts),
;; whose helper workers each instantiate the module on the same memory and compute a band of
;; C's rows. A row of C is computed the same way whatever band it falls in, so the result is
;; bit-identical for any number of threads.
(module
  (import "env" "memory" (memory 1 65536))

  ;; Pack A[0:m, k0:k0+kc] (row stride rowA bytes, src points at A[0,k0]) into dst as
  ;; m/4 blocks of kc x 4 floats: dst[blk][kk][r] = A[4*blk + r, k0 + kk].
  (func $packA (param $src i32) (param $rowA i32) (param $m i32) (param $kc i32) (param $dst i32)
    (local $i i32) (local $s0 i32) (local $s1 i32) (local $s2 i32) (local $s3 i32) (local $end i32)
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $s0 (local.get $src))
        (local.set $s1 (i32.add (local.get $s0) (local.get $rowA)))
        (local.set $s2 (i32.add (local.get $s1) (local.get $rowA)))
        (local.set $s3 (i32.add (local.get $s2) (local.get $rowA)))
        (local.set $end (i32.add (local.get $s0) (i32.shl (local.get $kc) (i32.const 2))))
        (block $colsDone
          (loop $cols
            (br_if $colsDone (i32.ge_u (local.get $s0) (local.get $end)))
            (f32.store offset=0 (local.get $dst) (f32.load (local.get $s0)))
            (f32.store offset=4 (local.get $dst) (f32.load (local.get $s1)))
            (f32.store offset=8 (local.get $dst) (f32.load (local.get $s2)))
            (f32.store offset=12 (local.get $dst) (f32.load (local.get $s3)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
            (local.set $s0 (i32.add (local.get $s0) (i32.const 4)))
            (local.set $s1 (i32.add (local.get $s1) (i32.const 4)))
            (local.set $s2 (i32.add (local.get $s2) (i32.const 4)))
            (local.set $s3 (i32.add (local.get $s3) (i32.const 4)))
            (br $cols)))
        (local.set $src (i32.add (local.get $src) (i32.shl (local.get $rowA) (i32.const 2))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows))))

  ;; Pack the kc x 8 panel of B starting at src (row stride rowB bytes) contiguously into dst.
  (func $packB (param $src i32) (param $rowB i32) (param $kc i32) (param $dst i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $kc) (i32.const 5))))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (v128.store offset=0 (local.get $dst) (v128.load offset=0 (local.get $src)))
        (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $src)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (local.set $src (i32.add (local.get $src) (local.get $rowB)))
        (br $rows))))

  (func (export "matmul")
    (param $a i32) (param $b i32) (param $c i32)
    (param $m i32) (param $k i32) (param $n i32)
    (param $acc i32) (param $work i32)
    (local $rowA i32) (local $rowC i32) (local $bpack i32) (local $apack i32)
    (local $k0 i32) (local $kc i32) (local $load i32)
    (local $j i32) (local $i i32) (local $pa i32) (local $pbEnd i32)
    (local $pb i32) (local $pc0 i32) (local $pc1 i32) (local $pc2 i32) (local $pc3 i32)
    (local $av v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $rowA (i32.shl (local.get $k) (i32.const 2)))
    (local.set $rowC (i32.shl (local.get $n) (i32.const 2)))
    (local.set $bpack (local.get $work))
    (local.set $apack (i32.add (local.get $work) (i32.const 8192)))
    (local.set $load (local.get $acc))
    ;; Runs at least once so that k == 0 still writes C (zeros, or C itself with acc).
    (loop $kslices
      (local.set $kc (i32.sub (local.get $k) (local.get $k0)))
      (if (i32.gt_u (local.get $kc) (i32.const 256)) (then (local.set $kc (i32.const 256))))
      (call $packA
        (i32.add (local.get $a) (i32.shl (local.get $k0) (i32.const 2)))
        (local.get $rowA) (local.get $m) (local.get $kc) (local.get $apack))
      ;; End of the packed B panel (kc rows of 32 bytes).
      (local.set $pbEnd (i32.add (local.get $bpack) (i32.shl (local.get $kc) (i32.const 5))))
      (local.set $j (i32.const 0))
      (block $panelsDone
        (loop $panels
          (br_if $panelsDone (i32.ge_u (local.get $j) (local.get $n)))
          (call $packB
            (i32.add (local.get $b)
              (i32.add (i32.mul (local.get $k0) (local.get $rowC)) (i32.shl (local.get $j) (i32.const 2))))
            (local.get $rowC) (local.get $kc) (local.get $bpack))
          (local.set $i (i32.const 0))
          ;; The k loop leaves $pa at the next packed 4-row block, so it only needs a reset here.
          (local.set $pa (local.get $apack))
          (block $rowsDone
            (loop $rows
              (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $m)))
              ;; One 4x8 block of C: C (+)= Apacked · Bpanel over this K slice, starting from
              ;; the stored C when $load is set. Inlined by hand: V8 in Node 20 does not inline
              ;; wasm calls, and the call per block measured a few percent slower.
              (local.set $pc0 (i32.add (local.get $c)
                (i32.add (i32.mul (local.get $i) (local.get $rowC)) (i32.shl (local.get $j) (i32.const 2)))))
              (local.set $pc1 (i32.add (local.get $pc0) (local.get $rowC)))
              (local.set $pc2 (i32.add (local.get $pc1) (local.get $rowC)))
              (local.set $pc3 (i32.add (local.get $pc2) (local.get $rowC)))
              (if (local.get $load)
                (then
                  (local.set $c00 (v128.load offset=0 (local.get $pc0)))
                  (local.set $c01 (v128.load offset=16 (local.get $pc0)))
                  (local.set $c10 (v128.load offset=0 (local.get $pc1)))
                  (local.set $c11 (v128.load offset=16 (local.get $pc1)))
                  (local.set $c20 (v128.load offset=0 (local.get $pc2)))
                  (local.set $c21 (v128.load offset=16 (local.get $pc2)))
                  (local.set $c30 (v128.load offset=0 (local.get $pc3)))
                  (local.set $c31 (v128.load offset=16 (local.get $pc3))))
                (else
                  (local.set $c00 (v128.const i32x4 0 0 0 0))
                  (local.set $c01 (v128.const i32x4 0 0 0 0))
                  (local.set $c10 (v128.const i32x4 0 0 0 0))
                  (local.set $c11 (v128.const i32x4 0 0 0 0))
                  (local.set $c20 (v128.const i32x4 0 0 0 0))
                  (local.set $c21 (v128.const i32x4 0 0 0 0))
                  (local.set $c30 (v128.const i32x4 0 0 0 0))
                  (local.set $c31 (v128.const i32x4 0 0 0 0))))
              (local.set $pb (local.get $bpack))
              (block $kDone
                (br_if $kDone (i32.ge_u (local.get $pb) (local.get $pbEnd)))
                (loop $k
                  ;; B[k, 0:8] as two vectors, reused by all four rows.
                  (local.set $b0 (v128.load offset=0 (local.get $pb)))
                  (local.set $b1 (v128.load offset=16 (local.get $pb)))
                  ;; Row r: broadcast A[r, k] straight from memory, update both accumulators.
                  (local.set $av (v128.load32_splat offset=0 (local.get $pa)))
                  (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $av) (local.get $b0))))
                  (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $av) (local.get $b1))))
                  (local.set $av (v128.load32_splat offset=4 (local.get $pa)))
                  (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $av) (local.get $b0))))
                  (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $av) (local.get $b1))))
                  (local.set $av (v128.load32_splat offset=8 (local.get $pa)))
                  (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $av) (local.get $b0))))
                  (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $av) (local.get $b1))))
                  (local.set $av (v128.load32_splat offset=12 (local.get $pa)))
                  (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $av) (local.get $b0))))
                  (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $av) (local.get $b1))))
                  (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
                  (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
                  (br_if $k (i32.lt_u (local.get $pb) (local.get $pbEnd)))))
              (v128.store offset=0 (local.get $pc0) (local.get $c00))
              (v128.store offset=16 (local.get $pc0) (local.get $c01))
              (v128.store offset=0 (local.get $pc1) (local.get $c10))
              (v128.store offset=16 (local.get $pc1) (local.get $c11))
              (v128.store offset=0 (local.get $pc2) (local.get $c20))
              (v128.store offset=16 (local.get $pc2) (local.get $c21))
              (v128.store offset=0 (local.get $pc3) (local.get $c30))
              (v128.store offset=16 (local.get $pc3) (local.get $c31))
              (local.set $i (i32.add (local.get $i) (i32.const 4)))
              (br $rows)))
          (local.set $j (i32.add (local.get $j) (i32.const 8)))
          (br $panels)))
      ;; Later slices add onto what the earlier ones stored.
      (local.set $load (i32.const 1))
      (local.set $k0 (i32.add (local.get $k0) (local.get $kc)))
      (br_if $kslices (i32.lt_u (local.get $k0) (local.get $k)))))

  ;; ---------------------------------------------------------------- log-softmax rows
  ;; For the CPU backend's log-softmax (log_softmax.ts): the row max, and e^(x - shift) summed
  ;; or scaled, 4 lanes at a time. n % 4 == 0 and p 16-byte aligned (the wrapper pads rows).
  ;;
  ;; e^x in float32 as Cephes' expf: x clamped to [-87.3, 88.3] (so 2^k stays a normal float),
  ;; k = nearest(x log2 e), r = x - k C1 - k C2 (ln 2 split so r is exact), a degree-5
  ;; polynomial for e^r, times 2^k built from its exponent bits. Relative error ~1e-7; NaN in,
  ;; NaN out; -inf gives e^-87.3 (1e-38) rather than 0, which no sum or gradient can see.

  (func (export "rowmax") (param $p i32) (param $n i32) (result f32)
    (local $end i32) (local $m v128)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $m (f32x4.splat (f32.const -inf)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $m (f32x4.max (local.get $m) (v128.load (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $l)))
    (f32.max
      (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
      (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))

  ;; Returns sum of e^(x - shift) over the row, accumulated in float64; when $dst != 0 also
  ;; stores scale * e^(x - shift) at dst (which may be p).
  (func (export "expshift") (param $p i32) (param $n i32) (param $shift f32) (param $scale f32) (param $dst i32) (result f64)
    (local $end i32) (local $x v128) (local $k v128) (local $r v128) (local $y v128)
    (local $acc0 v128) (local $acc1 v128) (local $sh v128) (local $sc v128)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $sh (f32x4.splat (local.get $shift)))
    (local.set $sc (f32x4.splat (local.get $scale)))
    (local.set $acc0 (f64x2.splat (f64.const 0)))
    (local.set $acc1 (f64x2.splat (f64.const 0)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $x (f32x4.sub (v128.load (local.get $p)) (local.get $sh)))
        (local.set $x (f32x4.min (f32x4.max (local.get $x) (f32x4.splat (f32.const -87.3))) (f32x4.splat (f32.const 88.3))))
        (local.set $k (f32x4.nearest (f32x4.mul (local.get $x) (f32x4.splat (f32.const 1.44269504088896341)))))
        (local.set $r (f32x4.sub
          (f32x4.sub (local.get $x) (f32x4.mul (local.get $k) (f32x4.splat (f32.const 0.693359375))))
          (f32x4.mul (local.get $k) (f32x4.splat (f32.const -2.12194440e-4)))))
        ;; y = ((((p0 r + p1) r + p2) r + p3) r + p4) r + p5, then e^r = y r^2 + r + 1
        (local.set $y (f32x4.splat (f32.const 1.9875691500e-4)))
        (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (f32x4.splat (f32.const 1.3981999507e-3))))
        (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (f32x4.splat (f32.const 8.3334519073e-3))))
        (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (f32x4.splat (f32.const 4.1665795894e-2))))
        (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (f32x4.splat (f32.const 1.6666665459e-1))))
        (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (f32x4.splat (f32.const 5.0000001201e-1))))
        (local.set $y (f32x4.add
          (f32x4.add (f32x4.mul (local.get $y) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
          (f32x4.splat (f32.const 1))))
        ;; times 2^k: (k + 127) << 23 as float bits
        (local.set $y (f32x4.mul (local.get $y)
          (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $k)) (i32x4.splat (i32.const 127))) (i32.const 23))))
        (local.set $acc0 (f64x2.add (local.get $acc0) (f64x2.promote_low_f32x4 (local.get $y))))
        (local.set $acc1 (f64x2.add (local.get $acc1)
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $y) (local.get $y)))))
        (if (local.get $dst)
          (then
            (v128.store (local.get $dst) (f32x4.mul (local.get $y) (local.get $sc)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 16)))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $l)))
    (local.set $acc0 (f64x2.add (local.get $acc0) (local.get $acc1)))
    (f64.add (f64x2.extract_lane 0 (local.get $acc0)) (f64x2.extract_lane 1 (local.get $acc0))))
)
