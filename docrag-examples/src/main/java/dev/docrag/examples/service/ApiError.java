package dev.docrag.examples.service;

/**
 * A request that ends with an error response: {@code {"error": "...", "detail": "..."}} and
 * {@code status}. Thrown by the handlers, rendered by the server.
 */
final class ApiError extends RuntimeException {
    final int status;
    final String error;

    ApiError(int status, String error, String detail) {
        super(detail, null, false, false);
        this.status = status;
        this.error = error;
    }

    static ApiError badRequest(String detail) {
        return new ApiError(400, "bad_request", detail);
    }

    static ApiError notFound(String detail) {
        return new ApiError(404, "not_found", detail);
    }
}
