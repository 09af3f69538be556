# The orders service: `orders serve` (the default command) or `orders worker`.
FROM python:3.11-slim
WORKDIR /app
RUN pip install --no-cache-dir "uv==0.13.8"
COPY requirements.lock ./
RUN uv pip install --system --no-cache --compile-bytecode --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY domain domain
COPY schema schema
COPY projections projections
COPY workers workers
COPY orders orders
RUN uv pip install --system --no-cache --compile-bytecode --no-deps .
EXPOSE 8000
CMD ["orders", "serve", "--host", "0.0.0.0", "--port", "8000"]
