#!/usr/bin/env node
// Thin launcher: the compiled composition root does everything.
import '../dist/main.js';
