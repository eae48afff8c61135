/* The live window: one SDL2 renderer and a streaming RGB texture. */
#include <stdio.h>
#include <stdlib.h>

#include <SDL2/SDL.h>

#include "window.h"

struct imp_window {
    SDL_Window *window;
    SDL_Renderer *renderer;
    SDL_Texture *texture;
    int tex_w, tex_h, fullscreen;
};

int imp_window_open(const char *title, int w, int h, struct imp_window **out, char *err,
                    size_t err_size)
{
    *out = NULL;
    /* Without a display server SDL falls back to drivers that draw nowhere
     * (or take over the console): say so instead. */
    if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY") && !getenv("SDL_VIDEODRIVER")) {
        snprintf(err, err_size, "no display to open a window on (DISPLAY is not set); "
                                "use --headless with -o or --virtual-camera");
        return -1;
    }
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        snprintf(err, err_size, "no display for a window (%s); use --headless",
                 SDL_GetError());
        return -1;
    }
    struct imp_window *win = calloc(1, sizeof *win);
    if (!win) {
        SDL_Quit();
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    win->window = SDL_CreateWindow(title, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, w,
                                   h, SDL_WINDOW_RESIZABLE);
    if (win->window)
        win->renderer = SDL_CreateRenderer(win->window, -1, 0);
    if (!win->renderer) {
        snprintf(err, err_size, "cannot open a window: %s", SDL_GetError());
        imp_window_close(win);
        return -1;
    }
    *out = win;
    return 0;
}

int imp_window_show(struct imp_window *win, const uint8_t *rgb, int w, int h, char *err,
                    size_t err_size)
{
    if (!win->texture || win->tex_w != w || win->tex_h != h) {
        if (win->texture)
            SDL_DestroyTexture(win->texture);
        win->texture = SDL_CreateTexture(win->renderer, SDL_PIXELFORMAT_RGB24,
                                         SDL_TEXTUREACCESS_STREAMING, w, h);
        if (!win->texture) {
            snprintf(err, err_size, "cannot show a %dx%d picture: %s", w, h,
                     SDL_GetError());
            return -1;
        }
        win->tex_w = w;
        win->tex_h = h;
    }
    SDL_UpdateTexture(win->texture, NULL, rgb, w * 3);
    /* Keep the aspect: letterbox inside the window. */
    int ww, wh;
    SDL_GetRendererOutputSize(win->renderer, &ww, &wh);
    SDL_Rect dst = {0, 0, ww, wh};
    if ((long)ww * h > (long)wh * w) {
        dst.w = (int)((long)wh * w / h);
        dst.x = (ww - dst.w) / 2;
    } else {
        dst.h = (int)((long)ww * h / w);
        dst.y = (wh - dst.h) / 2;
    }
    SDL_SetRenderDrawColor(win->renderer, 0, 0, 0, 255);
    SDL_RenderClear(win->renderer);
    SDL_RenderCopy(win->renderer, win->texture, NULL, &dst);
    SDL_RenderPresent(win->renderer);
    return 0;
}

void imp_window_title(struct imp_window *win, const char *title)
{
    SDL_SetWindowTitle(win->window, title);
}

int imp_window_key(struct imp_window *win)
{
    SDL_Event e;
    while (SDL_PollEvent(&e)) {
        if (e.type == SDL_QUIT)
            return IMP_KEY_QUIT;
        if (e.type != SDL_KEYDOWN)
            continue;
        SDL_Keycode k = e.key.keysym.sym;
        switch (k) {
        case SDLK_ESCAPE:
        case SDLK_q:
            return IMP_KEY_QUIT;
        case SDLK_RIGHT:
            return IMP_KEY_RIGHT;
        case SDLK_LEFT:
            return IMP_KEY_LEFT;
        case SDLK_UP:
            return IMP_KEY_UP;
        case SDLK_DOWN:
            return IMP_KEY_DOWN;
        case SDLK_PLUS:
        case SDLK_EQUALS:
        case SDLK_KP_PLUS:
            return '+';
        case SDLK_MINUS:
        case SDLK_KP_MINUS:
            return '-';
        default:
            if (k > 0 && k < 128)
                return (int)k;
        }
    }
    (void)win;
    return IMP_KEY_NONE;
}

void imp_window_toggle_fullscreen(struct imp_window *win)
{
    win->fullscreen = !win->fullscreen;
    SDL_SetWindowFullscreen(win->window, win->fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
}

int imp_window_is_fullscreen(struct imp_window *win)
{
    return (SDL_GetWindowFlags(win->window) & SDL_WINDOW_FULLSCREEN) != 0;
}

void imp_window_close(struct imp_window *win)
{
    if (!win)
        return;
    if (win->texture)
        SDL_DestroyTexture(win->texture);
    if (win->renderer)
        SDL_DestroyRenderer(win->renderer);
    if (win->window)
        SDL_DestroyWindow(win->window);
    free(win);
    SDL_Quit();
}
