'use strict';
// Control: a --require that does nothing. What a preload costs by being one.
