/* PNG encoding time of one picture: libpng's simplified writer with
 * PNG_IMAGE_FLAG_FAST (what impasto used before png_write.c) against
 * png_write.c in one strip and in its own choice of strips (one per core).
 *
 *   build/bench/png/png_write_time PICTURE [ROUNDS]
 *
 * Prints the median wall and CPU (all threads) per write, and the file
 * size. Files go to /tmp/impasto-png-bench-*.png. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <png.h>

#include "image.h"
#include "png_write.h"

static double clock_s(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return v[n / 2];
}

/* strips: -1 libpng FAST, 0 png_write.c's choice, else that many. */
static int write_one(const struct imp_image *img, int strips, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok;
    if (strips < 0) {
        png_image pi;
        memset(&pi, 0, sizeof pi);
        pi.version = PNG_IMAGE_VERSION;
        pi.width = (png_uint_32)img->width;
        pi.height = (png_uint_32)img->height;
        pi.flags = PNG_IMAGE_FLAG_FAST;
        pi.format = img->channels == 1 ? PNG_FORMAT_GRAY
                    : img->channels == 4 ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB;
        ok = png_image_write_to_stdio(&pi, f, 0, img->pixels, 0, NULL) != 0;
    } else {
        char why[256];
        ok = imp_png_write_strips(f, img, strips, why, sizeof why) == 0;
    }
    return fclose(f) == 0 && ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: png_write_time PICTURE [ROUNDS]\n");
        return 2;
    }
    int rounds = argc > 2 ? atoi(argv[2]) : 7;
    if (rounds < 1 || rounds > 1000)
        rounds = 7;
    struct imp_image img;
    char err[512];
    if (imp_image_load(argv[1], &img, err, sizeof err) != 0) {
        fprintf(stderr, "png_write_time: %s\n", err);
        return 1;
    }
    static const int ways[] = {-1, 1, 0};
    static const char *names[] = {"libpng, PNG_IMAGE_FLAG_FAST", "png_write.c, 1 strip",
                                  "png_write.c, strips per core"};
    double wall[3][1000], cpu[3][1000];
    for (int r = 0; r < rounds; r++)
        for (int k = 0; k < 3; k++) {
            int w = (r % 2) ? 2 - k : k; /* alternate the order */
            char path[64];
            snprintf(path, sizeof path, "/tmp/impasto-png-bench-%d.png", w);
            double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
            if (write_one(&img, ways[w], path) != 0) {
                fprintf(stderr, "png_write_time: %s: cannot write\n", path);
                return 1;
            }
            wall[w][r] = clock_s(CLOCK_MONOTONIC) - w0;
            cpu[w][r] = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
        }
    printf("%s: %dx%d, %d channels, median of %d\n", argv[1], img.width, img.height,
           img.channels, rounds);
    for (int w = 0; w < 3; w++) {
        char path[64];
        snprintf(path, sizeof path, "/tmp/impasto-png-bench-%d.png", w);
        struct stat st;
        double mb = stat(path, &st) == 0 ? st.st_size / 1e6 : 0;
        printf("  %-30s wall %7.1f ms  cpu %7.1f ms  %6.2f MB\n", names[w],
               median(wall[w], rounds) * 1000, median(cpu[w], rounds) * 1000, mb);
    }
    imp_image_free(&img);
    return 0;
}
