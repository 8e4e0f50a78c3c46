/**
 * Admission, eviction, promotion and demotion rules and the transfer-cost model.
 */
package dev.tiercache.policy;
