/**
 * Turns JMH's JSON output into the Markdown report with the ratios the project tracks.
 */
package dev.tiercache.bench.report;
