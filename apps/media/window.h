/*
 * A window showing RGB frames (SDL2), for impasto live: the picture is
 * scaled to the window keeping its aspect; keys come back as characters.
 */
#ifndef IMP_APP_WINDOW_H
#define IMP_APP_WINDOW_H

#include <stddef.h>
#include <stdint.h>

struct imp_window;

enum {
    IMP_KEY_NONE = 0,
    IMP_KEY_QUIT = -1,  /* window closed, Esc or q */
    IMP_KEY_RIGHT = -2, /* arrow keys */
    IMP_KEY_LEFT = -3,
    IMP_KEY_UP = -4,
    IMP_KEY_DOWN = -5,
    /* anything else: the key's character, such as 's' or '3' */
};

/* Fails with one line when there is no display. */
int imp_window_open(const char *title, int w, int h, struct imp_window **out, char *err,
                    size_t err_size);
/* Shows rgb (w x h x 3); its size may change from frame to frame. */
int imp_window_show(struct imp_window *win, const uint8_t *rgb, int w, int h, char *err,
                    size_t err_size);
void imp_window_title(struct imp_window *win, const char *title);
/* The next key pressed, or IMP_KEY_NONE when there is none waiting. */
int imp_window_key(struct imp_window *win);
void imp_window_toggle_fullscreen(struct imp_window *win);
/* What SDL says of the window (the screen it fills is the window
 * manager's: under a bare X server the size stays). */
int imp_window_is_fullscreen(struct imp_window *win);
void imp_window_close(struct imp_window *win);

#endif
