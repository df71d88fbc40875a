/**
 * DocRag's Lucene codec, public only so that Lucene's service loader can find it by the name
 * segments record; not part of DocRag's API.
 */
package dev.docrag.index.codec;
