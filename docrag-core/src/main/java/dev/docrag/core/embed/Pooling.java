package dev.docrag.core.embed;

/** How token vectors become one text vector. */
public enum Pooling {
    /** The average of the token vectors of real (unpadded) tokens: sentence-transformers' default. */
    MEAN,
    /** The first token's ([CLS]) vector: BGE and other retrieval models trained that way. */
    CLS
}
