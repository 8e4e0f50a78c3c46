/**
 * CUDA runtime, libc and liblz4 bindings over the Foreign Function and Memory API, and a simulated
 * CUDA device. Users pass {@code --enable-native-access=dev.tiercache.bindings} and nothing else.
 */
module dev.tiercache.bindings {
    exports dev.tiercache.cuda;
    exports dev.tiercache.cuda.raw to dev.tiercache;
    exports dev.tiercache.cuda.sim to dev.tiercache;
    exports dev.tiercache.libc to dev.tiercache;
    exports dev.tiercache.lz4 to dev.tiercache;
}
