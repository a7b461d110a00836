// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
int main() { return 0; }
