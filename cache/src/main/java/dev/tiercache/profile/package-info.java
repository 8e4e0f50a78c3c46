/**
 * Hardware profiles: detection, named presets and the sizing rules derived from them.
 */
package dev.tiercache.profile;
