"""The classroom pages' styles: a student's page is read on a 390 px phone, the teacher's on a
1366 x 768 projector from the back of a room.

* choices are grids of plain buttons that wrap (two to a row on a phone), never a row that
  runs off the screen; a button's text wraps by words (Chinese by characters);
* maps scale to their column; tables scroll inside their own box rather than widening the page;
* the teacher's page uses large type (the roster 20 px, dark) and a compact header, so that the
  debrief and the map start above the fold.
"""

from __future__ import annotations

__all__ = ["CLASS_CSS"]

CLASS_CSS = """
.landsim-page { max-width: 1340px; margin: 0 auto; }
.landsim-code { font-size: 64px; font-weight: 700; letter-spacing: 6px; line-height: 1; }
.landsim-code-label { font-size: 16px; color: #333; }
.landsim-join-url { font-size: 24px; font-weight: 600; word-break: break-all; line-height: 1.2; }
.landsim-qr svg { width: 150px; height: 150px; display: block; }
.landsim-head { display: flex; flex-wrap: wrap; gap: 8px 28px; align-items: center; }
.landsim-head-code { display: flex; gap: 16px; align-items: center; flex-wrap: wrap; }
.landsim-head-code-small .landsim-code { font-size: 30px; letter-spacing: 3px; }
.landsim-head-code-small .landsim-join-url { font-size: 18px; }
.landsim-teacher .landsim-year { font-size: 30px; font-weight: 700; }
.landsim-teacher .v-btn:not(.v-btn--text) { font-size: 18px !important; min-height: 44px; }
.landsim-timer { font-size: 22px; font-weight: 600; color: #b71c1c; }
.landsim-students-title { font-size: 22px; font-weight: 700; margin-top: 6px; }
.landsim-students { font-size: 20px; line-height: 1.5; columns: 2 220px; color: #111; }
.landsim-student-done { color: #1b5e20; font-weight: 700; }
.landsim-student-waiting { color: #222; }
.landsim-help { font-size: 14px; color: #333; line-height: 1.4; margin: 2px 0 8px; }
.landsim-teacher .landsim-help { font-size: 17px; }
.landsim-note { font-size: 14px; color: #333; }
.landsim-table { border-collapse: collapse; }
.landsim-table td, .landsim-table th { padding: 3px 10px; text-align: right; }
.landsim-table td:first-child, .landsim-table th:first-child { text-align: left; }
.landsim-table tr.landsim-total td { border-top: 2px solid #333; font-weight: 700; }
.landsim-scroll { max-width: 100%; overflow-x: auto; }
.landsim-teacher .landsim-table { font-size: 20px; }
.landsim-debrief td.landsim-up { color: #1b5e20; font-weight: 700; }
.landsim-debrief td.landsim-down { color: #b71c1c; font-weight: 700; }
.landsim-section { font-weight: 700; margin-top: 14px; font-size: 17px; }
.landsim-household, .landsim-household-form { font-size: 16px; line-height: 1.45; }
.landsim-plot { border: 1px solid #bbb; border-radius: 6px; padding: 8px; margin: 8px 0; }
.landsim-plot-label { font-weight: 700; }
.landsim-plot-last { font-size: 14px; color: #333; }
.landsim-plot-why { color: #b71c1c; font-weight: 600; }
.landsim-choices { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr));
  gap: 6px; margin-top: 6px; }
button.landsim-choice { border: 1px solid rgba(0,0,0,.3); border-radius: 6px; background: #fff;
  padding: 6px 8px; text-align: left; color: rgba(0,0,0,.87); min-height: 52px;
  white-space: normal; overflow-wrap: anywhere; }
button.landsim-choice:hover { background: #f5f5f5; }
button.landsim-choice.landsim-on { background: #c8e6c9; border: 2px solid #1b5e20; }
.landsim-choice-name { display: block; font-weight: 700; font-size: 15px; }
.landsim-choice-note { display: block; font-size: 13px; color: #333; }
.landsim-choice-help { font-size: 14px; padding-left: 18px; margin: 4px 0; }
.landsim-days { font-size: 15px; margin: 6px 0; }
.landsim-days-over { color: #b71c1c; font-weight: 700; }
.landsim-engage { display: block; margin: 8px 0 0; cursor: pointer; font-weight: 600; }
.landsim-engage input { margin-right: 6px; transform: scale(1.3); }
.landsim-send { margin-top: 8px; }
button.landsim-submit { background: #1976d2; color: #fff; padding: 10px 20px; border-radius: 4px;
  font-size: 16px; font-weight: 600; box-shadow: 0 2px 3px rgba(0,0,0,.25); margin: 6px 0;
  max-width: 100%; white-space: normal; }
button.landsim-submit:hover { background: #1565c0; }
.landsim-ack { color: #1b5e20; font-weight: 600; }
.landsim-reject { color: #b71c1c; font-weight: 600; }
img.landsim-class-map { width: 100%; max-width: 640px; height: auto; }
svg.landsim-student-map { display: block; width: 100%; max-width: 640px; height: auto; }
img.landsim-debrief-map { width: 100%; height: auto; }
/* solara wraps an image in a box of its column's full height: the legend went below that */
div:has(> img.landsim-map) { height: auto !important; }
/* a slider's label above its slider: a phone has no room for both on one line */
.landsim-lever .v-input__slot { flex-wrap: wrap; }
.landsim-lever .v-input__slot > .v-label { flex: 1 0 100%; max-width: 100%; white-space: normal;
  margin-bottom: 4px; color: rgba(0,0,0,.87); font-size: 16px; }
.landsim-maps { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 10px; }
.landsim-debrief-top { display: grid; grid-template-columns: minmax(0, 5fr) minmax(0, 7fr);
  gap: 16px; align-items: start; }
.landsim-debrief-title { font-size: 22px; font-weight: 700; margin: 0 0 4px; }
.landsim-map-title { font-size: 17px; font-weight: 700; }
.landsim-results li { font-size: 18px; margin: 4px 0; }
.landsim-chart-legend { display: flex; flex-wrap: wrap; gap: 2px 12px; font-size: 13px; }
.landsim-chart-legend svg { vertical-align: middle; margin-right: 3px; }
.landsim-lang-switch { display: flex; flex-wrap: nowrap; }
.landsim-join-wish.v-btn-toggle { display: flex; flex-direction: column; align-items: stretch;
  width: 100%; }
.landsim-join-wish .v-btn { height: auto !important; min-height: 44px; white-space: normal;
  border-left-width: thin !important; }
.landsim-join-wish .v-btn__content { white-space: normal; flex: 1 1 auto; }
.landsim-lever { margin-top: 10px; }
/* a long label wraps inside its button instead of running out of its column */
.landsim-teacher .v-btn { white-space: normal; max-width: 100%; height: auto !important;
  min-height: 36px; }
.landsim-teacher .v-btn__content { white-space: normal; flex: 1 1 auto; }
.landsim-dashboard { display: grid; grid-template-columns: minmax(0, 2fr) minmax(0, 3fr);
  gap: 8px 24px; }
.landsim-teacher-link { word-break: break-all; }
@media (max-width: 700px) {
  .landsim-debrief-top, .landsim-maps, .landsim-dashboard, .landsim-charts {
    grid-template-columns: minmax(0, 1fr); }
  .landsim-code { font-size: 44px; }
  .landsim-teacher .landsim-table { font-size: 15px; }
  .landsim-table td, .landsim-table th { padding: 3px 6px; }
  .v-toolbar__title { font-size: 16px !important; }
  .v-app-bar .v-btn { min-width: 0 !important; padding: 0 8px !important; }
}
"""
