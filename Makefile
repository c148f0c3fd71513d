# Sluice — common tasks. Every target works on a fresh clone.
.PHONY: setup build run test bench lint clean

setup:
	npm ci

build:
	npm run build

# Load examples/ (into an embedded PostgreSQL unless DATABASE_URL is set).
run: build
	npm start

test:
	npm test

# End-to-end and micro benchmarks; figures go to the README's performance section.
bench:
	npm run bench

lint:
	npm run lint

clean:
	rm -rf dist .sluice bench/data
