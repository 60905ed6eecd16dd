"""Logos: an app's thumbnail URL shown as its logo in the terminal, fetched safely.

- `tui.logos.widget.Logo(url, name, *, cells=(16, 8))`: the widget (initials at once, the image from a thread
  worker); `Logo.set_app(url, name)` when the highlighted app changes. `prepare_terminal(settings)` once before
  `App.run()` lets it use Kitty graphics or Sixel.
- `tui.logos.fetch.fetch_logo(url, settings) -> LogoResult` (blocking, never raises) and
  `preview_info(url, settings) -> PreviewInfo` (the form's "120x80 PNG" and its size warning), `size_warning`.
- `tui.logos.settings.thumbnail_settings(config) -> ThumbnailSettings`: `[thumbnails] mode` / `allow_private_hosts`
  and `APPDECK_THUMBNAILS`.

This package imports neither Pillow nor textual-image until a logo is drawn.
"""
