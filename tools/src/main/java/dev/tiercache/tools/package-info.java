/**
 * The {@code tiercache} command line: the top-level picocli command and its subcommands.
 */
package dev.tiercache.tools;
